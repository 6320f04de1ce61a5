import type { JournalEntry } from "../journal/journal-list.js";
import type { JournalData } from "../journal/journal.js";
import { nameForTerminal } from "../errors.js";
import { pasteable } from "../hosts/quote.js";
import { rollbackSinceLastRun } from "../journal/unfinished.js";

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
  /** What `runs --format json` gives instead of the cells made for reading. */
  journal: string;
  startedAt: string | null;
  freezeWindowSec: number | null;
  /** Why the journal could not be read: below the table (a cell would widen every row), in JSON as the step. */
  problem?: string;
}

/** The columns, in the table's order. */
type Cells = Pick<RunRow, "id" | "kind" | "state" | "step" | "freeze" | "when" | "plan">;

const STUCK = new Set(["failed", "blocked", "running"]);

/**
 * A last run without an outcome that asked at a step's gate and got no answer (its log says so, as `status`
 * reads it): the step is journaled "running", but nothing of it ran.
 */
export interface UnansweredGate {
  stepId: string;
  /** A live run holds the journal's lock: it still waits; otherwise it was killed there. */
  lockHeld: boolean;
}

const CELLS = ["id", "kind", "state", "step", "freeze", "when", "plan"] as const;

/** Where a migration stands, in a few words: the step it stopped at, or the last one done. */
export function standingStep(journal: JournalData, gate?: UnansweredGate): string {
  const steps = Object.entries(journal.steps);
  const stuck = steps.find(([, s]) => STUCK.has(s.status));
  if (stuck && stuck[1].status === "running" && stuck[0] === gate?.stepId)
    return `${stuck[0]} (${gate.lockHeld ? "waiting for confirmation" : "killed at its confirmation, nothing of it ran"})`;
  if (stuck) return `${stuck[0]} (${stuck[1].status})`;
  const declined = steps.find(([, s]) => s.status === "pending" && s.message === "declined at the gate");
  if (declined) return `${declined[0]} (declined)`;
  // a skipped step did nothing: "after" names the last one that did (found by a new-user trial)
  const done = steps.filter(([, s]) => s.status === "done");
  const last = done[done.length - 1];
  return last ? `after ${last[0]}` : "none yet";
}

/**
 * The last run's outcome; a run without one is still going (its lock is held) or was killed. A rollback since
 * rewound the migration: "done" would read as finished (found by a new-user trial).
 */
export function runState(journal: JournalData, lockHeld: boolean): string {
  const last = journal.runs[journal.runs.length - 1];
  if (!last) return "not run";
  if (rollbackSinceLastRun(journal)) return "rolled back";
  if (last.outcome) return last.outcome;
  return lockHeld ? "running" : "killed";
}

const minute = (iso: string): string => iso.replace("T", " ").replace(/:\d{2}(\.\d+)?Z$/, "Z");

/**
 * Journals of commands without a plan file record their command line instead of a path (earlier journals, their
 * arguments as JSON: shown as "(command line)").
 */
const planCell = (planPath: string): string => {
  if (!planPath.startsWith("(arguments)")) return planPath;
  const commandLine = planPath.slice("(arguments) ".length);
  return commandLine.startsWith("mudanza ") ? commandLine : "(command line)";
};

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
      journal: entry.path,
      startedAt: null,
      freezeWindowSec: null,
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
    plan: planCell(j.planPath),
    updatedAt: j.updatedAt,
    journal: entry.path,
    startedAt: lastRun?.startedAt ?? null,
    freezeWindowSec: typeof freeze === "number" ? freeze : null,
  };
}

const newestFirst = (rows: RunRow[]): RunRow[] => [...rows].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));

/** `mudanza runs --format json`: the same runs, newest first, with numbers and times as values for scripts. */
export function runsDocument(rows: RunRow[], stateDir: string): object {
  return {
    stateDir,
    runs: newestFirst(rows).map((r) => ({
      id: r.id,
      kind: r.kind,
      state: r.state,
      step: r.problem ?? r.step,
      freezeWindowSec: r.freezeWindowSec,
      startedAt: r.startedAt,
      updatedAt: r.updatedAt || null,
      plan: r.plan,
      journal: r.journal,
    })),
  };
}

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
