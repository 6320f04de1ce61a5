import { dirname, resolve } from "node:path";
import type { Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";

/**
 * A shell loop over the files in `folders` (hidden ones too) whose backing file is `disk`, compared by inode
 * (`test -ef`), running `onFound` with `$f` set to each. One judgement for the undo that runs long after its run
 * (clone's base mode: it cannot be a list made in advance) and for the checks made now (sparsify --replace), so
 * the two never disagree. A backing name the sed cannot read back exactly (JSON escapes) counts as a match: the
 * caller then keeps the disk as it is. A file qemu-img cannot open is no overlay of anything.
 */
const overlaysOfLoop = (disk: string, folders: readonly string[], onFound: string): string =>
  `for f in ${folders.map((d) => sh`${d}/* ${d}/.[!.]*`).join(" ")}; do ` +
  sh`test -f "$f" && ! test "$f" -ef ${disk} || continue; ` +
  `b=$(qemu-img info -U --output=json -- "$f" 2>/dev/null | sed -n 's/^    "backing-filename": "\\(.*\\)",\\{0,1\\}$/\\1/p'); ` +
  sh`case $b in '') continue ;; *\\\\*) ;; /*) test "$b" -ef ${disk} || continue ;; *) test "\${f%/*}/$b" -ef ${disk} || continue ;; esac; ` +
  `${onFound}; done`;

/**
 * The images in `disk`'s folder, and in `moreFolders`, whose backing file is `disk`: they read from it every
 * cluster they have not written themselves.
 */
export async function imagesBackingOnto(
  host: Host,
  disk: string,
  signal?: AbortSignal,
  moreFolders: string[] = [],
): Promise<string[]> {
  const folders = [...new Set([dirname(resolve(disk)), ...moreFolders.map((f) => resolve(f))])];
  const listed = await host.exec(`${overlaysOfLoop(disk, folders, `printf '%s\\0' "$f"`)}; true`, {
    signal,
    timeoutMs: 120_000,
  });
  if (listed.code !== 0) throw new Error(`looking for overlays of ${disk} failed: ${listed.stderr.trim()}`);
  return listed.stdout.split("\0").filter((f) => f !== "");
}

/**
 * A shell snippet that sets `$standing` to the first file in `folders` whose backing file is `base`
 * (overlaysOfLoop), or to nothing.
 */
export const findOverlayOfBaseSnippet = (base: string, folders: readonly string[]): string =>
  `standing=''; ${overlaysOfLoop(base, folders, "standing=$f; break")}`;
