import { inRunOrder } from "../engine/compensation-order.js";
import type { JournalData } from "../journal/journal.js";
import { formatDuration } from "../render/format.js";
import { checksAfterReboot, summarizeRun, type SummarizedEvent } from "./run-summary.js";
import { wordsFor } from "./kind-words.js";
import { resumeCommandIn } from "./resume-command.js";
import { runAgainAdvice, type RunAgainAdvice } from "../render/run-again-advice.js";
import { rollbackSinceLastRun } from "../journal/unfinished.js";
import { finishRollbackCommand, rollbackUnderWayText, unfinishedRollbackOf } from "../journal/rollback-under-way.js";
import {
  copyLeftRunningLine,
  cutoverStopLine,
  openFreezeLine,
  runCommandFor,
  stoppedServicesLines,
  type LastRunState,
} from "./left-by-last-run.js";

const MARK: Record<string, string> = { pending: "○", running: "▶", done: "✔", skipped: "↷", failed: "✖", blocked: "⊘" };

const MODE: Record<string, string> = { yes: "with --yes", interactive: "interactive", "dry-run": "dry run" };

export interface StatusContext {
  /** The journal file shown, so the admin knows which one this is. */
  journalPath?: string;
  /** Why the plan file cannot be read now (moved, deleted, invalid): resuming would be refused. */
  planProblem?: string;
  /** Whether a live run holds the journal's lock: a last run without an outcome is then running, else killed. */
  lockHeld?: boolean;
  /** The state dir the journal was read from, and the one a command without --state-dir uses (absolute). */
  stateDirs?: { now: string; default: string };
}

/** What became of a run that recorded no outcome, in the words `mudanza runs` uses (runs-list.ts). */
const WITHOUT_OUTCOME = {
  unknown: ", still running or killed",
  running: ", running (a live mudanza holds its lock)",
  killed: ", killed (it ended without recording an outcome; run the plan again to resume)",
};

const CONTINUE = "Continue with";

/**
 * A run with no recorded resume command: a done run rolled back since (it ended done), or a killed one (it
 * recorded no end; an earlier run's end in the log is not its own). The plan's run continues where the journal
 * stands, without --yes whatever the last run had (the gates of the steps to run ask again).
 */
const continueWith = (command: string | undefined): RunAgainAdvice => ({
  lead: CONTINUE,
  command,
  startsOver: false,
});

/** `mudanza status`: the timeline of a migration from its journal (and its log, when there is one). */
export function renderStatus(
  journal: JournalData,
  currentPlanHashes: string | readonly string[] | undefined,
  events: readonly SummarizedEvent[] = [],
  context: StatusContext = {},
): string {
  const s = summarizeRun(journal, events, currentPlanHashes);
  const words = wordsFor(s.kind);
  const lines = [`${words.noun} ${s.migrationId} (${s.title ? `${s.title}, ` : ""}${s.kind}), plan ${s.planPath}`];
  if (context.journalPath) lines.push(`Journal: ${context.journalPath}`);
  if (s.planChanged) lines.push("WARNING: the plan file changed since this migration started");
  const last = s.runs[s.runs.length - 1];
  // A live run asking at a gate has run nothing of that step: it waits for the admin, it is not "running".
  const askedAt = last && !last.outcome && context.lockHeld !== undefined ? s.unansweredGate : undefined;
  const atGate = context.lockHeld ? askedAt : undefined;
  // Killed while it asked: the step is journaled running, but nothing of it ran (as `runs` says).
  const killedAtGate = context.lockHeld === false ? askedAt : undefined;
  const titleOf = (stepId: string) => s.steps.find((st) => st.id === stepId)?.title ?? stepId;
  // A rollback since rewound the journal: the run's own outcome ("done") no longer says where the migration stands.
  const rollback = rollbackSinceLastRun(journal);
  const rewound = rollback
    ? `, then rolled back to checkpoint ${rollback.checkpoint} at ${rollback.at}: the migration is unfinished (its steps from that checkpoint on are pending again)`
    : "";
  if (last)
    lines.push(
      `Last run: ${MODE[last.mode] ?? last.mode}, started ${last.startedAt}${last.outcome ? `, ${last.outcome}` : atGate ? `, waiting at the gate of "${titleOf(atGate.stepId)}" since ${atGate.askedAt} for an answer in that run's terminal (nothing of that step has run)` : WITHOUT_OUTCOME[context.lockHeld === undefined ? "unknown" : context.lockHeld ? "running" : "killed"]}${killedAtGate ? `, while it asked at the gate of "${titleOf(killedAtGate.stepId)}" (nothing of that step ran)` : ""}${rewound}`,
    );
  // A rollback that reverted a host and stopped: `run` refuses until it is finished, so that is what is offered.
  const unfinishedRollback = unfinishedRollbackOf(journal);
  if (unfinishedRollback) {
    const finish = finishRollbackCommand(s.planPath, unfinishedRollback);
    lines.push(
      `WARNING: ${rollbackUnderWayText(unfinishedRollback)}`,
      `Finish the rollback with: ${context.stateDirs ? resumeCommandIn(finish, context.stateDirs.now, context.stateDirs.default) : finish} (\`mudanza run\` refuses this migration until then)`,
    );
  }
  const state: LastRunState = last?.outcome
    ? "ended"
    : context.lockHeld === undefined
      ? "unknown"
      : context.lockHeld
        ? "running"
        : "killed";
  const runCommand = runCommandFor(s.planPath);
  const left = {
    state,
    facts: journal.facts,
    runCommand:
      runCommand && context.stateDirs
        ? resumeCommandIn(runCommand, context.stateDirs.now, context.stateDirs.default)
        : runCommand,
  };
  // What the last run left holding on a host comes first: a stopped database, a copy still writing.
  lines.push(...stoppedServicesLines(s, left));
  const cutoverStopped = cutoverStopLine(left);
  if (cutoverStopped) lines.push(cutoverStopped);
  const copyLeft = copyLeftRunningLine(s, left, killedAtGate?.stepId);
  if (copyLeft) lines.push(copyLeft);
  // A killed run is as unfinished as a failed one. An image command's journal names no plan to run: its last
  // recorded end says how to run it again.
  const advice =
    state === "killed" && runCommand
      ? continueWith(runCommand)
      : s.lastEnd && (last?.outcome ? last.outcome !== "done" : state === "killed")
        ? runAgainAdvice(s.lastEnd)
        : rollback && last?.outcome === "done"
          ? continueWith(runCommand)
          : undefined;
  if (advice && !unfinishedRollback) {
    // Only offer a run that would be accepted: an unreadable plan is refused by `run`, and a changed one unless
    // it starts over (--restart).
    const refusal =
      context.planProblem ??
      (s.planChanged && !advice.startsOver
        ? "the plan changed since it started; restore the plan, or start over with --restart"
        : undefined);
    const command =
      advice.command && context.stateDirs
        ? resumeCommandIn(advice.command, context.stateDirs.now, context.stateDirs.default)
        : advice.command;
    lines.push(
      refusal
        ? `${advice.startsOver ? "Starting over" : advice.lead === CONTINUE ? "Continuing" : "Resuming"} would be refused: ${refusal}`
        : command
          ? `${advice.lead}: ${command}`
          : advice.lead,
    );
    // Continuing asks at the gates again on purpose, but a script that pastes the command (cron: no terminal) would
    // be refused: it is told how the last run went on without asking (new-user trial 11).
    if (!refusal && command && advice.lead === CONTINUE && last?.mode === "yes")
      lines.push(
        "  (it asks at each gate again; the last run had --yes: add it to go on without asking, as from cron)",
      );
  }
  lines.push("", "Timeline:");
  const width = Math.max(10, ...s.steps.map((st) => st.title.length));
  for (const st of s.steps) {
    const when = st.startedAt ? st.startedAt.replace(/^\d{4}-\d{2}-\d{2}T/, "").replace(/\.\d+Z$/, "Z") : "";
    const dur = st.durationMs !== undefined ? formatDuration(st.durationMs) : "";
    const shown = st.undone
      ? { mark: "↺", status: "undone", message: `done, then undone: ${st.undone.join("; ")}` }
      : st.status !== "running"
        ? undefined
        : atGate?.stepId === st.id
          ? { mark: "?", status: "at gate" }
          : killedAtGate?.stepId === st.id
            ? { mark: "■", status: "stopped", message: "killed at its confirmation; nothing of it ran" }
            : undefined;
    const row = `  ${shown?.mark ?? MARK[st.status] ?? "?"} ${(shown?.status ?? st.status).padEnd(8)} ${st.title.padEnd(width)} ${when.padEnd(9)} ${dur.padStart(7)}`;
    // A multi-line message continues under its first line, so the columns stay intact.
    const [first, ...rest] = (shown?.message ?? st.message ?? "").split("\n");
    lines.push(first ? `${row}  ${first}` : row.trimEnd());
    for (const more of rest) lines.push(`${" ".repeat(row.length + 2)}${more}`);
  }
  if (s.freezeWindowSec !== undefined) lines.push("", `Freeze window (databases stopped): ${s.freezeWindowSec} s`);
  else if (words.freezes) lines.push("", openFreezeLine(s, left) ?? "Freeze window: not recorded yet");
  const after = checksAfterReboot(s);
  if (s.rebootStepId) {
    lines.push("", "Verified after the reboot:");
    if (after.length === 0) lines.push("  nothing yet");
    for (const st of after)
      for (const c of st.checks)
        lines.push(
          `  ${c.ok ? "✔" : "✖"} ${c.name}${c.detail ? ` (${c.detail})` : ""}${st.undone ? " (undone since)" : ""}`,
        );
  } else {
    const failed = s.steps.flatMap((st) => st.checks.filter((c) => !c.ok).map((c) => `${st.title}: ${c.name}`));
    if (failed.length > 0) lines.push("", "Failed checks:", ...failed.map((f) => `  ✖ ${f}`));
  }
  if (s.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const w of s.warnings)
      lines.push(
        `  ! ${w.title}${w.host ? ` (${w.host})` : ""}: ${w.summary}${w.remediation ? ` — fix: ${w.remediation}` : ""}`,
      );
  }
  if (s.pendingCompensations.length > 0) {
    lines.push("", "PENDING compensations (the next run starts with them, in this order):");
    for (const c of inRunOrder(s.pendingCompensations))
      lines.push(
        c.notInALaterRun === undefined
          ? `  on ${c.host}: ${c.title}: ${c.command}`
          : `  on ${c.host}: ${c.title}: not run by the next run, which only says: ${c.notInALaterRun}`,
      );
  }
  return lines.join("\n");
}
