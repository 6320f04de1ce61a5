import { readFileSync } from "node:fs";

/**
 * A process named so that a reused pid is never mistaken for it: the pid plus its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot), which the kernel never gives two processes with the same pid.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/**
 * Field 22 of /proc/PID/stat, or null when the process does not exist, is a zombie (killed, not yet reaped by
 * its parent: nothing of it runs, and a lock it holds is free), or /proc is not Linux's.
 */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const fields = statFields(stat);
  return fields && fields.state !== "Z" && fields.state !== "X" ? fields.startTime : null;
}

/** The state (field 3) and start time (field 22) of a /proc/PID/stat line, or null when it is not one. */
export function statFields(stat: string): { state: string; startTime: string } | null {
  // Field 2 (comm) is in parentheses and may hold spaces or ')': count fields after the last ')'.
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const afterComm = stat
    .slice(close + 1)
    .trim()
    .split(" ");
  const state = afterComm[0]; // field 3
  const startTime = afterComm[22 - 3]; // fields 3.. follow comm
  return state && startTime && /^\d+$/.test(startTime) ? { state, startTime } : null;
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
