import type { JournalEntry } from "../journal/journal-list.js";
import type { JournalData } from "../journal/journal.js";
import { nameForTerminal } from "../errors.js";
import { pasteable } from "../hosts/quote.js";
import { rollbackSinceLastRun } from "../journal/unfinished.js";
import { unfinishedRollbackOf } from "../journal/rollback-under-way.js";
import { runSource, sourceCell } from "./run-source.js";
import { standingOf, standingText, type UnansweredGate } from "./run-standing.js";

export interface RunRow {
  id: string;
  kind: string;
  state: string;
  step: string;
  freeze: string;
  when: string;
  plan: string;
  /** For sorting: the journal's last change. */
  updatedAt: string;
  /** Why the journal could not be read: below the table (a cell would widen every row). */
  problem?: string;
}

/** The columns, in the table's order. */
type Cells = Pick<RunRow, "id" | "kind" | "state" | "step" | "freeze" | "when" | "plan">;

const CELLS = ["id", "kind", "state", "step", "freeze", "when", "plan"] as const;

/** Where a migration stands, in a few words: the step it stopped at, or the last one done. */
export function standingStep(journal: JournalData, gate?: UnansweredGate): string {
  return standingText(standingOf(journal, gate));
}

/**
 * The last run's outcome; a run without one is still going (its lock is held) or was killed. A rollback since
 * rewound the migration: "done" would read as finished (found by a new-user trial). One that reverted a host and
 * stopped before rewinding it: "failed" would hide that the hosts moved (new-user trial 12).
 */
export function runState(journal: JournalData, lockHeld: boolean): string {
  const last = journal.runs[journal.runs.length - 1];
  if (!last) return "not run";
  if (unfinishedRollbackOf(journal)) return "rollback unfinished";
  if (rollbackSinceLastRun(journal)) return "rolled back";
  if (last.outcome) return last.outcome;
  return lockHeld ? "running" : "killed";
}

const minute = (iso: string): string => iso.replace("T", " ").replace(/:\d{2}(\.\d+)?Z$/, "Z");

/** `unansweredGateStep`: the step whose gate the last run, which recorded no outcome, asked at without an answer (its log). */
export function runRow(entry: JournalEntry, lockHeld: boolean, unansweredGateStep?: string): RunRow {
  const j = entry.data;
  if (!j)
    return {
      id: entry.stem,
      kind: "?",
      state: "unreadable",
      step: "(see below)",
      freeze: "",
      when: "",
      plan: entry.path,
      updatedAt: "",
      problem: entry.problem ?? "",
    };
  const freeze = j.facts["freezeWindowSec"];
  const lastRun = j.runs[j.runs.length - 1];
  return {
    id: entry.stem,
    kind: j.kind,
    state: runState(j, lockHeld),
    step: standingStep(j, unansweredGateStep ? { stepId: unansweredGateStep, lockHeld } : undefined),
    freeze: typeof freeze === "number" ? `${freeze} s` : "-",
    when: minute(lastRun?.startedAt ?? j.createdAt),
    plan: sourceCell(runSource(j.planPath)),
    updatedAt: j.updatedAt,
  };
}

const newestFirst = (rows: RunRow[]): RunRow[] => [...rows].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));

/** `mudanza runs`: one line per journal, newest first, in aligned columns. */
export function renderRuns(rows: RunRow[], stateDir: string): string {
  if (rows.length === 0) return `No runs yet in ${nameForTerminal(stateDir)}.`;
  // Names come from files and plans: an ESC or a newline in one must neither reach the terminal nor break the
  // columns (found by a new-user trial), so every cell is escaped before the widths are measured.
  // A plan's path is one to paste after `mudanza status` or `run`: quoted as `status` quotes it in "Resume
  // with" (new-user trial 10: `.../sp ace.yaml` was shown bare); a command line is shown as recorded.
  const sorted = newestFirst(rows).map((r): RunRow => ({
    ...r,
    ...Object.fromEntries(CELLS.map((c) => [c, nameForTerminal(r[c])])),
    plan: nameForTerminal(r.plan.startsWith("/") ? pasteable(r.plan) : r.plan),
  }));
  const header: Cells = {
    id: "ID",
    kind: "KIND",
    state: "STATE",
    step: "STEP",
    freeze: "FREEZE",
    when: "STARTED",
    plan: "PLAN",
  };
  const columns = CELLS;
  const all: Cells[] = [header, ...sorted];
  const widths = columns.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: Cells): string =>
    columns
      .map((c, i) => (i === columns.length - 1 ? r[c] : r[c].padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const unreadable = sorted.filter((r) => r.problem !== undefined);
  return [
    `Runs in ${nameForTerminal(stateDir)}:`,
    line(header),
    ...sorted.map(line),
    ...(unreadable.length > 0
      ? ["", "Unreadable:", ...unreadable.map((r) => `  ${r.id}: ${nameForTerminal(r.problem ?? "")}`)]
      : []),
    "",
    "Details: mudanza status ID (or the plan file)",
  ].join("\n");
}
