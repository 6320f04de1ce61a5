import { readFileSync } from "node:fs";

/** VmHWM (peak resident set) of a live process, in bytes; null once it is gone. */
export function peakRss(pid: number): number | null {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

/** The pids of every descendant of `pid` (children of each thread, recursively). */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (p: number): void => {
    let tasks: string[] = [];
    try {
      tasks = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const child of tasks.map(Number)) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/**
 * Polls a process and its descendants until it exits: the highest VmHWM seen of the process itself and of
 * any one descendant (rsync's sender and receiver run as children of the CLI).
 */
export function watchPeaks(pid: number, everyMs = 100): { stop: () => { own: number; child: number } } {
  let own = 0;
  let child = 0;
  const poll = (): void => {
    own = Math.max(own, peakRss(pid) ?? 0);
    for (const c of descendants(pid)) child = Math.max(child, peakRss(c) ?? 0);
  };
  const timer = setInterval(poll, everyMs);
  poll();
  return {
    stop: () => {
      clearInterval(timer);
      return { own, child };
    },
  };
}
