import { open, readFile, unlink } from "node:fs/promises";
import { BlockedError } from "../errors.js";

/** An O_EXCL lock file holding our pid; a lock left by a dead process is taken over. */
export class LockFile {
  private constructor(readonly path: string) {}

  static async acquire(path: string): Promise<LockFile> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, "wx", 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return new LockFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const holder = Number.parseInt((await readFile(path, "utf8").catch(() => "")).trim(), 10);
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
          throw new BlockedError(`another mudanza run (pid ${holder}) holds ${path}; wait for it to finish or stop it first`);
        }
        await unlink(path).catch(() => undefined);
      }
    }
    throw new BlockedError(`could not take the lock ${path}`);
  }

  async release(): Promise<void> {
    await unlink(this.path).catch(() => undefined);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
