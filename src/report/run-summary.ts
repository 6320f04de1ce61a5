import type { PipelineEvent, StepStatus } from "../engine/events.js";
import type { Finding } from "../engine/finding.js";
import type { VerifyCheck } from "../engine/step.js";
import type { JournalData } from "../journal/journal.js";
import { ROLLED_BACK } from "../journal/unfinished.js";
import { restoredPackagesOf, type RestoredPackages } from "./restored-packages.js";
import type { SUMMARIZED_FIELDS } from "./log-event-shape.js";

/** After a run: the journal (truth about steps and facts) joined with the log (titles, warnings). */
export interface RunSummary {
  migrationId: string;
  kind: string;
  title?: string;
  planPath: string;
  planChanged: boolean;
  hosts: Record<string, string>;
  runs: JournalData["runs"];
  steps: Array<{
    id: string;
    title: string;
    status: StepStatus;
    startedAt?: string;
    endedAt?: string;
    durationMs?: number;
    message?: string;
    checks: VerifyCheck[];
    attempts: number;
    /**
     * What the undo of a done step did since it was done (its compensations' outcomes, or titles): the change the
     * step made and verified no longer holds.
     */
    undone?: string[];
  }>;
  freezeWindowSec?: number;
  /** What restore-vm-packages put back on the VM and left out (OpenVZ → KVM). */
  restoredPackages?: RestoredPackages;
  /** The reboot step's id, when the pipeline has one that ran: checks from it on are "after the reboot". */
  rebootStepId?: string;
  warnings: Finding[];
  pendingCompensations: JournalData["compensations"];
  compensationLog: JournalData["compensationLog"];
  lastEnd?: Extract<PipelineEvent, { type: "pipeline-end" }>;
  /** The gate the last run asked at and has no answer to yet (its run may still wait there, or was killed). */
  unansweredGate?: { stepId: string; askedAt: string };
}

/** What a summary reads of a run's events: of a probe and a prompt only some fields (log-event-shape.ts). */
export type SummarizedEvent =
  | Exclude<PipelineEvent, { type: keyof typeof SUMMARIZED_FIELDS }>
  | Pick<Extract<PipelineEvent, { type: "step-probed" }>, (typeof SUMMARIZED_FIELDS)["step-probed"][number]>
  | Pick<Extract<PipelineEvent, { type: "prompt" }>, (typeof SUMMARIZED_FIELDS)["prompt"][number]>;

export function summarizeRun(
  journal: JournalData,
  events: readonly SummarizedEvent[],
  currentPlanHashes?: string | readonly string[],
): RunSummary {
  const current = typeof currentPlanHashes === "string" ? [currentPlanHashes] : currentPlanHashes;
  const starts = events.filter(
    (e): e is Extract<PipelineEvent, { type: "pipeline-start" }> => e.type === "pipeline-start",
  );
  const lastStart = starts[starts.length - 1];
  const titles = new Map<string, string>();
  for (const s of starts) for (const step of s.steps) titles.set(step.id, step.title);
  // Pipeline order from the log; steps only the journal knows (no log) follow in journal order.
  const order = [...(lastStart?.steps.map((s) => s.id) ?? [])];
  for (const id of Object.keys(journal.steps)) if (!order.includes(id)) order.push(id);

  const steps = order.map((id) => {
    const record = journal.steps[id];
    const undone = record?.status === "done" ? undoneSince(journal.compensationLog, id, record) : [];
    return {
      id,
      title: titles.get(id) ?? id,
      status: record?.status ?? ("pending" as const),
      startedAt: record?.startedAt,
      endedAt: record?.endedAt,
      durationMs: record?.durationMs,
      message: ranSinceRollback(record) ? undefined : record?.message,
      checks: record?.checks ?? [],
      attempts: record?.attempts ?? 0,
      ...(undone.length > 0 ? { undone } : {}),
    };
  });

  const reboot = [...steps]
    .reverse()
    .find((s) => /reboot/i.test(s.id) && (s.status === "done" || s.status === "skipped"));
  // Each warning once. Those with an id are one statement (an acknowledged blocker, "No checkpoints", a host doctor
  // finding said once per disk): said again in other words by a later probe (another run, the plan edited in
  // between), the later probe's words replace all the earlier ones.
  const byKey = new Map<string, Finding[]>();
  for (const e of events) {
    if (e.type !== "step-probed") continue;
    const saidNow = new Map<string, Finding[]>();
    for (const f of e.findings) {
      if (f.blocks || f.severity !== "warning") continue;
      if (f.id) {
        const key = `id\u0000${f.id}\u0000${f.host ?? ""}`;
        saidNow.set(key, [...(saidNow.get(key) ?? []), f]);
      } else {
        const key = `${f.title}\u0000${f.summary}\u0000${f.host ?? ""}`;
        if (!byKey.has(key)) byKey.set(key, [f]);
      }
    }
    for (const [key, said] of saidNow) byKey.set(key, said);
  }
  const warnings = [...byKey.values()].flat();
  const freeze = journal.facts["freezeWindowSec"];
  const ends = events.filter((e): e is Extract<PipelineEvent, { type: "pipeline-end" }> => e.type === "pipeline-end");
  return {
    migrationId: journal.migrationId,
    kind: journal.kind,
    title: lastStart?.title,
    planPath: journal.planPath,
    planChanged: current !== undefined && !current.includes(journal.planHash),
    hosts: lastStart?.hosts ?? {},
    runs: journal.runs,
    steps,
    freezeWindowSec: typeof freeze === "number" ? freeze : undefined,
    restoredPackages: restoredPackagesOf(journal.facts),
    rebootStepId: reboot?.id,
    warnings,
    pendingCompensations: journal.compensations,
    compensationLog: journal.compensationLog,
    lastEnd: ends[ends.length - 1],
    unansweredGate: unansweredGateOf(events),
  };
}

/**
 * A step a rollback set pending (with its note, and no start) that a later run started again: the note no longer
 * says where it stands (the runner keeps a step's message while it runs; found by a new-user trial).
 */
const ranSinceRollback = (record: { startedAt?: string; message?: string } | undefined): boolean =>
  record?.startedAt !== undefined && record.message?.startsWith(ROLLED_BACK) === true;

/**
 * What the undo actions a step registered did after it was last done: each one that ran and succeeded. One
 * that was only said (notRun) or that kept things as they were changed nothing; one before the step's end
 * undid an earlier attempt of it.
 */
function undoneSince(
  log: JournalData["compensationLog"],
  stepId: string,
  record: { startedAt?: string; endedAt?: string },
): string[] {
  const doneAt = record.endedAt ?? record.startedAt;
  if (!doneAt) return [];
  return log
    .filter((c) => c.registeredBy === stepId && c.ok && !c.notRun && !c.kept && Date.parse(c.at) >= Date.parse(doneAt))
    .map((c) => c.outcome ?? c.title);
}

/** The last prompt of the last run, when nothing answered it and the run did not end after it. */
export function unansweredGateOf(events: readonly SummarizedEvent[]): RunSummary["unansweredGate"] {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === "prompt") return { stepId: e.stepId, askedAt: e.at };
    if (e.type === "prompt-answer" || e.type === "pipeline-end" || e.type === "pipeline-start") return undefined;
  }
  return undefined;
}

/** Checks of the reboot step and every step after it: what was proven on the rebooted machine. */
export function checksAfterReboot(summary: RunSummary): RunSummary["steps"] {
  if (!summary.rebootStepId) return [];
  const index = summary.steps.findIndex((s) => s.id === summary.rebootStepId);
  return summary.steps.slice(index).filter((s) => s.checks.length > 0);
}
