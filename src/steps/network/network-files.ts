import type { FamilyKnowledge } from "../../distro/index.js";
import { readOptional, type Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";

/** Lists the regular files and links directly inside the network config directories (missing ones are fine). */
export function listNetworkFilesCommand(family: FamilyKnowledge): string {
  return sh`find ${family.network.dirs} -maxdepth 1 \\( -type f -o -type l \\) -print 2>/dev/null`;
}

export interface NetworkFile {
  path: string;
  /** Content, or the link target for a symlink. */
  content: string;
  link?: boolean;
}

/** Every network config file present on `host`, with content, in the family's places. */
export async function readNetworkFiles(
  host: Host,
  family: FamilyKnowledge,
  signal?: AbortSignal,
): Promise<NetworkFile[]> {
  const result = await host.exec(listNetworkFilesCommand(family), { signal });
  // Package scripts among the config (EL's ifup-*) are neither captured nor removed: they are no config.
  const paths = [
    ...new Set([
      ...result.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("/") && !family.network.isPackageFile(l)),
      ...family.network.files,
    ]),
  ].sort();
  // asked together: a host that takes several commands at once answers them in one round trip
  const files = await Promise.all(paths.map((path) => readNetworkFile(host, path)));
  return files.filter((f): f is NetworkFile => f !== null);
}

/**
 * One file as the network steps keep it: a link's target, or a regular file's content; null for anything else.
 * Its stat and its read are asked together, one round trip instead of two on a host that batches commands (on
 * the lab's VM each is one more wait at the end of a dry run); a link's read is the one wasted.
 */
export async function readNetworkFile(host: Host, path: string): Promise<NetworkFile | null> {
  const content = readOptional(host, path);
  content.catch(() => undefined); // awaited only for a regular file, whose read must not fail unseen
  const stat = await host.stat(path);
  if (stat?.type === "symlink") return { path, content: stat.linkTarget ?? "", link: true };
  if (stat?.type === "file") return { path, content: (await content) ?? "" };
  return null;
}
