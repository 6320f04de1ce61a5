import { createHash } from "node:crypto";
import { join } from "node:path";
import { BusyError } from "../errors.js";
import { LockFile } from "../journal/lock.js";
import { prepareStateDir, stateDirWriteError } from "../journal/state-dir.js";
import type { Endpoint } from "../plan/endpoint.js";

/** Where an endpoint is, for the lock's name: two plans naming the same machine name it the same way. */
const whereIs = (e: Endpoint): string =>
  e.transport === "ssh" ? `ssh ${e.user}@${e.host}:${e.port}` : `${e.transport} ${e.fixture ?? ""}`;

/**
 * Where runs of every user and state dir on this machine meet: /run/lock (a tmpfs every user may write on
 * Debian), or MUDANZA_MACHINE_LOCK_DIR.
 */
const machineLockDir = (): string => process.env.MUDANZA_MACHINE_LOCK_DIR ?? "/run/lock";

/** The pair's locks: in the state dir (`path`), and on this machine where it could be taken. */
export interface HostPairLock {
  path: string;
  release(): Promise<void>;
}

/**
 * One changing run at a time on a source and target pair, whatever plan file names them: two copies of a
 * plan (or one and a link to it before links were resolved) have journals of their own, and would otherwise
 * copy and freeze the same hosts at once (found by a new-user trial). Kept in the state dir, and for hosts
 * reached over ssh also in /run/lock: two state dirs (Ansible's --state-dir beside an admin's default) must
 * not work on the same hosts at once either (new-user trial 11). Runs from other machines are not seen.
 */
export async function lockHostPair(source: Endpoint, target: Endpoint, stateDir: string): Promise<HostPairLock> {
  const hash = createHash("sha256")
    .update(`${whereIs(source)}\n${whereIs(target)}`)
    .digest("hex")
    .slice(0, 16);
  await prepareStateDir(stateDir, true); // made already by the journal in a run; a test may call this first
  const refused = (error: BusyError) =>
    new BusyError(
      `another run works on the same source and target (${whereIs(source)}, ${whereIs(target)}), from another plan file or the same: ${error.message}`,
    );
  let inStateDir: LockFile;
  try {
    inStateDir = await LockFile.acquire(join(stateDir, `hosts-${hash}.lock`));
  } catch (error) {
    // A full or read-only state dir is refused as at start-up, before any host is reached.
    if (!(error instanceof BusyError)) throw stateDirWriteError(stateDir, error);
    throw refused(error);
  }
  // Scripted hosts are files: runs on them harm nothing, and the tests run many at once.
  if (source.transport !== "ssh" && target.transport !== "ssh") return inStateDir;
  let onMachine: LockFile | undefined;
  try {
    onMachine = await LockFile.acquire(join(machineLockDir(), `mudanza-hosts-${hash}.lock`));
  } catch (error) {
    if (error instanceof BusyError) {
      await inStateDir.release();
      throw refused(error);
    }
    // No /run/lock this user may write: the state dir's lock still guards this user's runs.
  }
  return {
    path: inStateDir.path,
    release: async () => {
      await onMachine?.release();
      await inStateDir.release();
    },
  };
}
