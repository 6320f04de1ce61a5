import { readFileSync } from "node:fs";

/**
 * A process named so that a reused pid is never mistaken for it: the pid plus its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot), which the kernel never gives two processes with the same pid.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** Field 22 of /proc/PID/stat, or null when the process does not exist (or /proc is not Linux's). */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may hold spaces or ')': count fields after the last ')'.
  const afterComm = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const startTime = afterComm[22 - 3]; // fields 3.. follow comm
  return startTime && /^\d+$/.test(startTime) ? startTime : null;
}

export function identify(pid: number): ProcessIdentity | null {
  const startTime = processStartTime(pid);
  return startTime === null ? null : { pid, startTime };
}

/** True only when the pid still names the very process that was recorded. */
export function isSameProcess(recorded: ProcessIdentity): boolean {
  return Number.isInteger(recorded.pid) && recorded.pid > 0 && processStartTime(recorded.pid) === recorded.startTime;
}

/** The command line of a live process, spaces between arguments; "" when unreadable. */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}
