import type { JournalEntry } from "../journal/journal-list.js";
import { standingOf, type UnansweredGate } from "./run-standing.js";
import { runSource } from "./run-source.js";
import { runState } from "./runs-list.js";
// Types only: `runs` starts without zod, and the schema cannot drift from what is built here.
import type { RunEntry, RunsDocument } from "./runs-schema.js";

/** Raised when a field of `runs --format json` changes meaning or goes away (adding one does not). */
export const RUNS_DOCUMENT_VERSION = 1;

/** `unansweredGateStep`: the step whose gate the last run, which recorded no outcome, asked at without an answer. */
export function runEntry(entry: JournalEntry, lockHeld: boolean, unansweredGateStep?: string): RunEntry {
  const j = entry.data;
  if (!j)
    return {
      id: entry.stem,
      kind: null,
      state: "unreadable",
      stepId: null,
      stepStatus: null,
      freezeWindowSec: null,
      startedAt: null,
      updatedAt: null,
      plan: null,
      commandLine: null,
      journal: entry.path,
      error: entry.problem ?? "the journal cannot be read",
    };
  const gate: UnansweredGate | undefined = unansweredGateStep ? { stepId: unansweredGateStep, lockHeld } : undefined;
  const standing = standingOf(j, gate);
  const freeze = j.facts["freezeWindowSec"];
  return {
    id: entry.stem,
    kind: j.kind,
    state: runState(j, lockHeld),
    stepId: standing?.stepId ?? null,
    stepStatus: standing?.status ?? null,
    freezeWindowSec: typeof freeze === "number" ? freeze : null,
    startedAt: j.runs.at(-1)?.startedAt ?? null,
    updatedAt: j.updatedAt,
    ...runSource(j.planPath),
    journal: entry.path,
    error: null,
  };
}

/** `mudanza runs --format json`: every journal, newest first, with numbers and times as values for scripts. */
export function runsDocument(runs: RunEntry[], stateDir: string): RunsDocument {
  const newestFirst = [...runs].sort((a, b) => (b.updatedAt ?? "").localeCompare(a.updatedAt ?? ""));
  return { version: RUNS_DOCUMENT_VERSION, stateDir, runs: newestFirst };
}
