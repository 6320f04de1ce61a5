import { access, constants, mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { BadInputError, StateDirWriteError } from "../errors.js";

/** What to do about a state dir that cannot be made or written. */
const ANOTHER = "; name a folder you can write with --state-dir DIR";

const code = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/**
 * Checks the state dir and, when `create`, makes what is missing (mode 0700) one level at a time: a
 * recursive mkdir never returns for a path in /proc, and its errors name no folder. Every problem is
 * bad input naming the path; a read-only run (dry run, status) creates nothing.
 */
export async function prepareStateDir(dir: string, create: boolean): Promise<void> {
  const chain: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const path of chain) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      if (code(error) !== "ENOENT") throw new BadInputError(`state dir ${dir}: cannot look at ${path}: ${code(error)}`);
      if (!create) return;
      try {
        await mkdir(path, { mode: 0o700 });
      } catch (mkdirError) {
        throw new BadInputError(`cannot create the state dir ${dir}: ${code(mkdirError)} at ${path}${ANOTHER}`);
      }
      continue;
    }
    if (!isDirectory) throw new BadInputError(`state dir ${dir}: ${path} is not a directory`);
  }
}

/**
 * For a run that writes in the state dir only when it ends (a --json dry run's report): the state dir is made
 * now and must be writable, so that one it cannot use stops the run before it starts, as bad input.
 */
export async function prepareWritableStateDir(dir: string): Promise<void> {
  await prepareStateDir(dir, true);
  await access(dir, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw stateDirWriteError(dir, error);
  });
}

/** Why a state dir cannot be written: read-only, full, /proc. */
const WRITE_FAILURES = ["EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "ENOSPC", "EDQUOT", "ENAMETOOLONG"];

/** A failure to write in the state dir (read-only, full, /proc) as bad input naming it; anything else unchanged. */
export function stateDirWriteError(dir: string, error: unknown): unknown {
  return WRITE_FAILURES.includes(code(error))
    ? new BadInputError(`cannot write in the state dir ${dir}: ${code(error)}${ANOTHER}`)
    : error;
}

/**
 * The same failure during a run, once things may have changed on a host: another state dir would hold no
 * journal of this run, so the way on is to free space (or make it writable) and run again in this one. Any
 * failed journal write is one (an EIO as much as an ENOSPC): the run stops and undoes what it can either way.
 */
export function journalWriteError(dir: string, error: unknown, written = false): StateDirWriteError {
  const kept = written
    ? "the journal holds the last change, but the disk may not have it for sure"
    : "the journal keeps what was saved before it";
  const fix = WRITE_FAILURES.includes(code(error))
    ? "Free space there (or make it writable again)"
    : "Look at what the error says about that disk or folder";
  return new StateDirWriteError(
    `cannot write in the state dir ${dir}: ${code(error)}; ${kept}. ${fix} and run again to resume`,
    { cause: error },
  );
}
