import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import { join } from "node:path";
import { BusyError } from "../errors.js";
import { LockFile } from "../journal/lock.js";
import { prepareStateDir, stateDirWriteError } from "../journal/state-dir.js";

/**
 * One changing image run at a time on a disk, whatever its arguments: two clone runs on one base (other names,
 * another --out-dir) each judged "no clone stands on the base" without the other's, and one dropped the other's
 * temporary name as a killed run's leftover (found by a new-user trial); a sparsify --replace beside a clone run
 * would swap the base under it. Named by the file's real path, so a link to it is the same disk. Kept in the state
 * dir: it guards the runs of this user on this machine, as the journal's own lock does.
 */
export async function lockImage(image: string, stateDir: string): Promise<LockFile> {
  const real = await realpath(image).catch(() => image);
  const hash = createHash("sha256").update(real).digest("hex").slice(0, 16);
  await prepareStateDir(stateDir, true);
  try {
    return await LockFile.acquire(join(stateDir, `image-${hash}.lock`));
  } catch (error) {
    if (!(error instanceof BusyError)) throw stateDirWriteError(stateDir, error);
    throw new BusyError(`another run works on ${real}: ${error.message}`);
  }
}
