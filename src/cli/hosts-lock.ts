import { createHash } from "node:crypto";
import { join } from "node:path";
import { BlockedError } from "../errors.js";
import { LockFile } from "../journal/lock.js";
import { prepareStateDir, stateDirWriteError } from "../journal/state-dir.js";
import type { Endpoint } from "../plan/endpoint.js";

/** Where an endpoint is, for the lock's name: two plans naming the same machine name it the same way. */
const whereIs = (e: Endpoint): string =>
  e.transport === "ssh" ? `ssh ${e.user}@${e.host}:${e.port}` : `${e.transport} ${e.fixture ?? ""}`;

/**
 * One changing run at a time on a source and target pair, whatever plan file names them: two copies of a
 * plan (or one and a link to it before links were resolved) have journals of their own, and would otherwise
 * copy and freeze the same hosts at once (found by a new-user trial). Kept in the state dir: it guards the
 * runs of this user on this machine, as the journal's own lock does.
 */
export async function lockHostPair(source: Endpoint, target: Endpoint, stateDir: string): Promise<LockFile> {
  const hash = createHash("sha256")
    .update(`${whereIs(source)}\n${whereIs(target)}`)
    .digest("hex")
    .slice(0, 16);
  await prepareStateDir(stateDir, true); // made already by the journal in a run; a test may call this first
  try {
    return await LockFile.acquire(join(stateDir, `hosts-${hash}.lock`));
  } catch (error) {
    // A full or read-only state dir is refused as at start-up, before any host is reached.
    if (!(error instanceof BlockedError)) throw stateDirWriteError(stateDir, error);
    throw new BlockedError(
      `another run works on the same source and target (${whereIs(source)}, ${whereIs(target)}), from another plan file or the same: ${error.message}`,
    );
  }
}
