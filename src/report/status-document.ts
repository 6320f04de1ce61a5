import type { JournalData } from "../journal/journal.js";
import { runState } from "./runs-list.js";
// Types only: `status` starts without zod, and the schema cannot drift from what is built here.
import type { StatusDocument } from "./status-schema.js";

/**
 * `status PLAN --format json`: the journal as it is, and beside it the run's state, which the journal alone
 * cannot tell (a run without an outcome is running or killed: its lock says which, as in `runs`).
 */
export function statusDocument(journal: JournalData, lockHeld: boolean): StatusDocument {
  return { ...journal, state: runState(journal, lockHeld) };
}
