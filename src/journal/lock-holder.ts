import { isSameProcess, processCommandLine, type ProcessIdentity } from "../hosts/process-identity.js";

// Reading a lock, apart from taking one (lock.ts): `status` and `runs` read locks and load nothing else of it.

/** What a lock file says about the run holding it. */
export interface LockHolder extends ProcessIdentity {
  /** When the run took the lock (ISO), and its command line: told to whoever finds the lock taken. */
  since: string;
  command: string;
}

/** A JSON lock, or the bare pid older versions wrote (start time unknown); null when unreadable. */
export function parseLock(text: string): LockHolder | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), startTime: "", since: "", command: "" };
  try {
    const value = JSON.parse(trimmed) as Partial<LockHolder>;
    if (typeof value.pid !== "number" || typeof value.startTime !== "string") return null;
    const text = (v: unknown): string =>
      typeof v === "string" ? v.replace(/[^\x20-\x7e\u00a0-\uffff]/g, "?").slice(0, 300) : "";
    return { pid: value.pid, startTime: value.startTime, since: text(value.since), command: text(value.command) };
  } catch {
    return null;
  }
}

/** Whether the run a lock names is alive: the same pid and start time (a reused pid is not it). */
export function holds(holder: LockHolder): boolean {
  if (holder.startTime) return isSameProcess(holder);
  // A pid-only lock from an older version: held only by a live process that is mudanza at all.
  return processCommandLine(holder.pid).includes("mudanza");
}

/** "pid 123, running since 2026-12-04T21:00:00Z": who holds a lock, for whoever finds it taken. */
export function holderText(holder: LockHolder): string {
  return `pid ${holder.pid}${holder.since ? `, running since ${holder.since}` : ""}`;
}
