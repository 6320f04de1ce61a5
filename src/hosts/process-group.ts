import { readdirSync, readFileSync } from "node:fs";

/**
 * Every command LocalHost starts leads a process group of its own (spawn `detached`), so that stopping
 * it reaches what it started too (virt-sparsify's QEMU, rsync's ssh). The groups still running are
 * killed on every way out of this process: normal end, uncaught error, SIGINT / SIGTERM / SIGHUP. A
 * SIGKILL leaves no way out, so each group is also recorded in the state folder (child-records.ts).
 */
const running = new Map<number, { command: string; onUntrack?: () => void }>(); // by group id (= leader pid)

/** After TERM, how long a group gets before KILL. */
export const GROUP_KILL_GRACE_MS = 2_000;

/** `onUntrack` runs when the group ends or is stopped here (LocalHost removes its record then). */
export function trackGroup(pgid: number, command: string, onUntrack?: () => void): void {
  installExitHooks();
  running.set(pgid, { command, onUntrack });
}

export function untrackGroup(pgid: number): void {
  const entry = running.get(pgid);
  running.delete(pgid);
  entry?.onUntrack?.();
}

/** Commands of the groups still running, by group id (for tests and diagnostics). */
export function runningGroups(): Map<number, string> {
  return new Map([...running].map(([pgid, e]) => [pgid, e.command]));
}

/** Sends a signal to a whole group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Processes (not zombies) whose process group is `pgid`, from /proc. */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

/** TERM, up to `graceMs` for the groups to go, then KILL; synchronous, so it works inside an "exit" handler. */
export function stopGroupsNow(pgids: number[], graceMs = GROUP_KILL_GRACE_MS): void {
  const alive = pgids.filter((pgid) => signalGroup(pgid, "SIGTERM"));
  const deadline = Date.now() + graceMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (alive.some((pgid) => liveGroupMembers(pgid).length > 0) && Date.now() < deadline)
    Atomics.wait(pause, 0, 0, 50);
  for (const pgid of alive) if (liveGroupMembers(pgid).length > 0) signalGroup(pgid, "SIGKILL");
}

/** Stops every group this process still runs (exit paths call this; tests may too). */
export function stopAllGroups(): void {
  const pgids = [...running.keys()];
  if (pgids.length === 0) return;
  stopGroupsNow(pgids);
  for (const pgid of pgids) untrackGroup(pgid);
}

let hooked = false;
function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", stopAllGroups); // also runs after an uncaught error
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      stopAllGroups();
      // Alone, our listener would swallow the signal: restore the default and deliver it again.
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
