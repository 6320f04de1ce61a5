import { realpathSync } from "node:fs";
import { resolve } from "node:path";

/**
 * The plan file's own path: absolute, symlinks resolved. A plan reached through a link is the same plan, with
 * the same journal (found by a new-user trial: through a link it started the migration again, beside the
 * first). A path that does not resolve stays as given, for the "cannot read" message.
 */
export function planFilePath(path: string): string {
  const absolute = resolve(path);
  try {
    // The system's realpath, not node's own: node's follows /dev/stdin's link to a pipe ("pipe:[123]") into a
    // path that does not exist, so a piped plan was "no such file" instead of "not a regular file".
    return realpathSync.native(absolute);
  } catch {
    return absolute;
  }
}
