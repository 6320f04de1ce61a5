import { open, readFile, unlink } from "node:fs/promises";
import { BusyError } from "../errors.js";
import { identify } from "../hosts/process-identity.js";
import { holderText, holds, parseLock, type LockHolder } from "./lock-holder.js";

/**
 * An O_EXCL lock file naming the run that holds it by pid AND process start time. The lock is held only
 * while that very process lives: a dead holder, or a pid since reused by another process (pid 1 after a
 * container restart, say), leaves a stale lock that the next run takes over.
 */
export class LockFile {
  private constructor(readonly path: string) {}

  static async acquire(path: string): Promise<LockFile> {
    const me = identify(process.pid);
    const record: LockHolder = {
      pid: process.pid,
      startTime: me?.startTime ?? "",
      since: new Date().toISOString(),
      command: describeThisRun(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, "wx", 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(record)}\n`);
          await handle.close();
        } catch (error) {
          // A full or read-only state dir: the lock this run made is its own, and must not stay behind empty.
          await handle.close().catch(() => undefined);
          await unlink(path).catch(() => undefined);
          throw error;
        }
        return new LockFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = parseLock(await readFile(path, "utf8").catch(() => ""));
        if (holder && holder.pid !== process.pid && holds(holder)) {
          throw new BusyError(
            `another mudanza run holds ${path}: ${holderText(holder)}${holder.command ? ` (${holder.command})` : ""}; wait for it to finish or stop that run first`,
          );
        }
        await unlink(path).catch(() => undefined);
      }
    }
    throw new BusyError(`could not take the lock ${path}`);
  }

  async release(): Promise<void> {
    await unlink(this.path).catch(() => undefined);
  }
}

/** This run's command line for the message another run prints; control characters never reach a terminal. */
// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function describeThisRun(): string {
  return ["mudanza", ...process.argv.slice(2)].join(" ").replace(CONTROL, "?").slice(0, 300);
}
