import { readFileSync, rmSync, writeFileSync } from "node:fs";

/**
 * Where the lab's lock lives: beside the network namespace (/run/netns), not in the image cache. Two runs with
 * different MUDANZA_LAB_CACHE folders (a test run and the demo) share the fixed ports and the namespace name,
 * so they must see one lock.
 */
export const LAB_LOCK_PATH = "/run/mudanza-lab.lock";

/**
 * One lab per machine: its addresses, ports and namespace name are fixed (they are baked into the cached
 * images). The lock file holds the owner's PID; a lock whose owner is gone is taken over.
 */
export function acquireLabLock(path: string): () => void {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
  } catch {
    const owner = Number(readFileSync(path, "utf8").trim());
    if (owner && owner !== process.pid && alive(owner)) {
      throw new LabBusyError(
        `another lab is running (pid ${owner}, lock ${path}); stop it first (it tears itself down on exit)`,
      );
    }
    writeFileSync(path, String(process.pid));
  }
  return () => {
    try {
      if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // already released
    }
  };
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class LabBusyError extends Error {
  override name = "LabBusyError";
}
