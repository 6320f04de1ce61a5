import { dirname, resolve } from "node:path";
import type { Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";
import { parseImageInfo } from "../../kvm/qemu-img-info.js";

/** Between one image's name and its `qemu-img info` answer, and after it: NUL cannot be in either. */
const SEPARATOR = "\0";

/**
 * Every qcow2 image in `disk`'s folder, with `qemu-img info -U` (read even while a VM holds it): the
 * overlays `image clone` makes sit beside their base, and name it by a path relative to themselves.
 */
export const folderImagesCommand = (folder: string): string =>
  sh`for f in ${folder}/*.qcow2; do test -f "$f" || continue; printf '%s\\0' "$f"; qemu-img info -U --output=json -- "$f" 2>/dev/null; printf '\\0'; done`;

/**
 * The images in `disk`'s folder, and in `moreFolders`, whose backing file is `disk`: they read from it every
 * cluster they have not written themselves. An image whose info cannot be read is skipped (it is no overlay
 * qemu-img can open).
 */
export async function imagesBackingOnto(
  host: Host,
  disk: string,
  signal?: AbortSignal,
  moreFolders: string[] = [],
): Promise<string[]> {
  const users: string[] = [];
  for (const folder of new Set([dirname(resolve(disk)), ...moreFolders.map((f) => resolve(f))]))
    users.push(...(await folderImagesBackingOnto(host, folder, disk, signal)));
  return users;
}

async function folderImagesBackingOnto(
  host: Host,
  folder: string,
  disk: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const listed = await host.exec(folderImagesCommand(folder), { signal, timeoutMs: 120_000 });
  const parts = listed.stdout.split(SEPARATOR);
  const users: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const image = parts[i]!;
    let backing: string | undefined;
    try {
      const info = parseImageInfo(parts[i + 1]!);
      backing = info["full-backing-filename"] ?? info["backing-filename"];
    } catch {
      continue;
    }
    if (backing && resolve(dirname(image), backing) === resolve(disk)) users.push(image);
  }
  return users;
}

/**
 * A shell snippet that sets `$standing` to the first file in `folders` (hidden ones too) whose backing file
 * is `base` (compared by inode: `test -ef`), or to nothing. Run by the base's mode-restoring undo when it runs,
 * which may be long after the run that registered it, so it cannot be a list made in advance. A backing name
 * the sed cannot read back exactly (JSON escapes) counts as a clone: the base then stays read-only.
 */
export const findOverlayOfBaseSnippet = (base: string, folders: readonly string[]): string =>
  `standing=''; for f in ${folders.map((d) => sh`${d}/* ${d}/.[!.]*`).join(" ")}; do ` +
  sh`test -f "$f" && ! test "$f" -ef ${base} || continue; ` +
  `b=$(qemu-img info -U --output=json -- "$f" 2>/dev/null | sed -n 's/^    "backing-filename": "\\(.*\\)",\\{0,1\\}$/\\1/p'); ` +
  sh`case $b in '') continue ;; *\\\\*) ;; /*) test "$b" -ef ${base} || continue ;; *) test "\${f%/*}/$b" -ef ${base} || continue ;; esac; ` +
  `standing=$f; break; done`;
