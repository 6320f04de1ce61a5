import { posix } from "node:path";
import type { Host } from "./host.js";

/**
 * Resolves symlinks component by component through Host.stat, like `realpath`, so it works the same on
 * a real host and on a scripted one. util-vserver points `vdir` at `../.defaults/vdirbase/NAME` and
 * `vdirbase` at `/vservers`: two relative links in a row; a base image is often a link into a pool.
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
