import { open, rename, unlink } from "node:fs/promises";
import { dirname, basename, join } from "node:path";

/**
 * Thrown when the new content is in place (the rename happened) but the directory could not be synced: the
 * file holds the new text, so a caller must not believe the old one is still there.
 */
export class WrittenButNotSyncedError extends Error {
  override name = "WrittenButNotSyncedError";
}

/**
 * Writes a file so a crash leaves either the old or the new content: temp file, fsync, rename, fsync dir.
 * A write that fails (a full or read-only state dir) removes its temp file: failed runs must not pile up
 * copies that eat the space needed to recover (found by a new-user trial).
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, "w", mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  try {
    const dir = await open(dirname(path), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    throw new WrittenButNotSyncedError(`${path} was replaced but its folder could not be synced`, { cause: error });
  }
}
