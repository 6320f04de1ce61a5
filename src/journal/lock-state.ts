import { readFileSync } from "node:fs";
import { holds, parseLock, type LockHolder } from "./lock-holder.js";

/**
 * True when a live run holds the journal's lock: its run is going on now. A synchronous read: `status` and
 * `runs` do nothing else meanwhile, and their only asynchronous read started node's thread pool (four threads).
 */
export function lockHeld(journalPath: string): boolean {
  return liveHolder(journalPath) !== null;
}

/** The live run holding the journal's lock, or null. */
export function liveHolder(journalPath: string): LockHolder | null {
  let text = "";
  try {
    text = readFileSync(`${journalPath}.lock`, "utf8");
  } catch {
    // no lock file (or none readable): no run holds it
  }
  const holder = parseLock(text);
  return holder !== null && holds(holder) ? holder : null;
}
