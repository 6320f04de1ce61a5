import { posix } from "node:path";
import type { Host } from "../hosts/host.js";
import { cmd } from "../hosts/quote.js";

/**
 * Resolves symlinks component by component through Host.stat, like `realpath`, so it works the same on
 * a real host and on a scripted one. util-vserver points `vdir` at `../.defaults/vdirbase/NAME` and
 * `vdirbase` at `/vservers`: two relative links in a row.
 */
export async function resolvePath(host: Host, path: string, maxLinks = 20): Promise<string> {
  let links = 0;
  let done = "/";
  let rest = posix.normalize(path).split("/").filter(Boolean);
  while (rest.length > 0) {
    const [part, ...tail] = rest as [string, ...string[]];
    const candidate = posix.join(done, part);
    const stat = await host.stat(candidate);
    if (stat?.type === "symlink" && stat.linkTarget !== undefined) {
      if (++links > maxLinks) throw new Error(`${path}: too many levels of symbolic links`);
      const target = stat.linkTarget.startsWith("/") ? stat.linkTarget : posix.join(done, stat.linkTarget);
      const normalized = posix.normalize(target);
      done = "/";
      rest = [...normalized.split("/").filter(Boolean), ...tail];
      continue;
    }
    done = candidate;
    rest = tail;
  }
  return done;
}

/** Names of the entries of one type directly in `dir` (empty when `dir` is absent). */
export async function listEntries(host: Host, dir: string, type: "d" | "f"): Promise<string[]> {
  const stat = await host.stat(dir);
  if (stat?.type !== "dir") return [];
  const result = await host.exec(listEntriesCommand(dir, type));
  if (result.code !== 0) throw new Error(`cannot list ${dir} on ${host.address}: ${result.stderr.trim()}`);
  return result.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

export function listEntriesCommand(dir: string, type: "d" | "f"): string {
  return cmd("find", dir, "-mindepth", "1", "-maxdepth", "1", "-type", type, "-printf", "%f\\n");
}
