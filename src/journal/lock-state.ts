import { readFile } from "node:fs/promises";
import { isAlive } from "./lock.js";

/** True when a live process holds the journal's lock: its run is going on now. */
export async function lockHeld(journalPath: string): Promise<boolean> {
  const text = await readFile(`${journalPath}.lock`, "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}
