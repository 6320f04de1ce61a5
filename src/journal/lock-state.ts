import { readFile } from "node:fs/promises";
import { holds, parseLock } from "./lock.js";

/** True when a live run holds the journal's lock: its run is going on now. */
export async function lockHeld(journalPath: string): Promise<boolean> {
  const holder = parseLock(await readFile(`${journalPath}.lock`, "utf8").catch(() => ""));
  return holder !== null && holds(holder);
}
