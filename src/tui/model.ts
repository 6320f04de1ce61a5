import type { PipelineEvent, ProgressInfo, RunMode, StepStatus } from "../engine/events.js";
import type { Finding } from "../engine/finding.js";
import type { PlannedCommand, VerifyCheck } from "../engine/step.js";
import { cleanLine } from "../render/format.js";
import { exitCodeForRun } from "../exit-codes.js";

/** What the TUI knows, rebuilt from runner events by a pure reducer (easy to test, no React needed). */

export const OUTPUT_KEEP = 12;

export interface OutputLine {
  host: string;
  stream: "stdout" | "stderr";
  line: string;
}

export interface StepView {
  id: string;
  title: string;
  destructive: boolean;
  status: StepStatus;
  phase?: "probe" | "run" | "verify";
  /** Probed during preflight right now. */
  checking?: boolean;
  startedAtMs?: number;
  durationMs?: number;
  message?: string;
  output: OutputLine[];
  outputCount: number;
  progress?: ProgressInfo;
  findings: Finding[];
  checks?: VerifyCheck[];
  /** The probe said there is nothing to do. */
  satisfied?: boolean;
  commands?: PlannedCommand[];
}

export interface CompensationView {
  title: string;
  host: string;
  ok: boolean;
  message?: string;
  /** What the undo did, when its command said (undo-outcome.ts). */
  outcome?: string;
  /** Its command was not run (a later run's notInALaterRun note). */
  notRun?: boolean;
  /** Left pending by an earlier run, done first by this one (before its checks). */
  earlierRun?: boolean;
}

export interface EndView {
  status: "done" | "failed" | "blocked" | "interrupted" | "dry-run" | "declined";
  exitCode: number;
  message?: string;
  resumeCommand?: string;
  resumeRepeatsFailure?: boolean;
  restartCommand?: string;
  /** Said instead of how to resume: the run's files and hosts are removed as it ends (the demo's lab). */
  insteadOfResuming?: string;
  /** Absent when nothing was written to the journal (a dry run of a plan that never ran). */
  journal?: string;
  log?: string;
  atMs: number;
  freezeWindowSec?: number;
  downtimeSec?: number;
}

export interface TuiModel {
  started: boolean;
  kind: string;
  title: string;
  hosts: Record<string, string>;
  mode: RunMode;
  resumed: boolean;
  journal?: string;
  startedAtMs: number;
  preflight: boolean;
  steps: StepView[];
  currentId?: string;
  compensations: CompensationView[];
  end?: EndView;
  /** The first destructive gate of this run: every warning of the checks is shown there. */
  firstGateId?: string;
  /** q / Ctrl-C was pressed: the runner is stopping and running compensations. */
  aborting: boolean;
  notice?: string;
}

export function emptyModel(nowMs = 0): TuiModel {
  return {
    started: false,
    kind: "",
    title: "",
    hosts: {},
    mode: "interactive",
    resumed: false,
    journal: undefined,
    startedAtMs: nowMs,
    preflight: true,
    steps: [],
    compensations: [],
    aborting: false,
  };
}

const atMs = (at: string, fallback: number): number => {
  const t = Date.parse(at);
  return Number.isNaN(t) ? fallback : t;
};

function updateStep(model: TuiModel, id: string, patch: (step: StepView) => Partial<StepView>): TuiModel {
  let found = false;
  const steps = model.steps.map((s) => {
    if (s.id !== id) return s;
    found = true;
    return { ...s, ...patch(s) };
  });
  return found ? { ...model, steps } : model;
}

/** Applies one event; never throws (an unknown step id is ignored). */
export function reduce(model: TuiModel, event: PipelineEvent, nowMs = Date.now()): TuiModel {
  switch (event.type) {
    case "pipeline-start":
      return {
        ...model,
        started: true,
        kind: event.kind,
        title: event.title,
        hosts: event.hosts,
        mode: event.mode,
        resumed: event.resumed,
        journal: event.journal,
        startedAtMs: atMs(event.at, nowMs),
        preflight: true,
        steps: event.steps.map((s) => ({ ...s, output: [], outputCount: 0, findings: [] })),
        end: undefined,
        firstGateId: undefined,
      };
    case "step-start": {
      const step = model.steps.find((s) => s.id === event.stepId);
      // Preflight ends with the first run/verify, or the first probe of a step already probed in this run.
      const leavesPreflight = model.preflight && (event.phase !== "probe" || step?.satisfied !== undefined);
      if (model.preflight && !leavesPreflight) {
        const cleared = { ...model, steps: model.steps.map((s) => (s.checking ? { ...s, checking: false } : s)) };
        return updateStep({ ...cleared, currentId: event.stepId }, event.stepId, () => ({ checking: true }));
      }
      const base = {
        ...model,
        preflight: false,
        currentId: event.stepId,
        steps: model.steps.map((s) => (s.checking ? { ...s, checking: false } : s)),
      };
      return updateStep(base, event.stepId, (s) => ({
        status: "running",
        phase: event.phase,
        startedAtMs: s.status === "running" && s.startedAtMs !== undefined ? s.startedAtMs : atMs(event.at, nowMs),
        durationMs: undefined,
        message: undefined,
      }));
    }
    case "step-probed":
      return updateStep(model, event.stepId, () => ({
        satisfied: event.satisfied,
        findings: event.findings,
        commands: event.commands,
        checking: false,
        message: event.satisfied ? (event.reason ?? "already satisfied") : undefined,
      }));
    case "output":
      return updateStep(model, event.stepId, (s) => ({
        output: [
          ...s.output.slice(-(OUTPUT_KEEP - 1)),
          { host: event.host, stream: event.stream, line: cleanLine(event.line) },
        ],
        outputCount: s.outputCount + 1,
      }));
    case "progress":
      return updateStep(model, event.stepId, () => ({ progress: event.progress }));
    case "prompt":
      return model.firstGateId === undefined ? { ...model, firstGateId: event.stepId } : model;
    case "prompt-answer": {
      // The question itself is asked through Renderer.confirm; --yes answers show as output, and at the
      // first gate so do the checks' warnings (nobody reads a question there that would list them).
      if (event.by !== "yes-flag") return model;
      const warnings = event.stepId === model.firstGateId ? warningsOf(model).map((f) => `! ${warningText(f)}`) : [];
      const lines = [...warnings, "gate accepted by --yes"].map((line) => ({
        host: "mudanza",
        stream: "stdout" as const,
        line,
      }));
      return updateStep(model, event.stepId, (s) => ({
        output: [...s.output, ...lines].slice(-OUTPUT_KEEP),
        outputCount: s.outputCount + lines.length,
      }));
    }
    case "step-end": {
      const leaves = model.preflight && event.status !== "blocked";
      const next = updateStep({ ...model, preflight: leaves ? false : model.preflight }, event.stepId, () => ({
        status: event.status,
        durationMs: event.durationMs,
        message: event.message,
        checks: event.checks,
        checking: false,
        phase: undefined,
      }));
      return next;
    }
    case "compensation":
      return {
        ...model,
        compensations: [
          ...model.compensations,
          {
            title: event.title,
            host: event.host,
            ok: event.ok,
            message: event.message,
            outcome: event.outcome,
            notRun: event.notRun,
            earlierRun: event.earlierRun,
          },
        ],
      };
    case "pipeline-end":
      return {
        ...model,
        preflight: false,
        steps: model.steps.map((s) => (s.checking ? { ...s, checking: false } : s)),
        end: {
          status: event.status,
          exitCode: exitCodeForRun(event),
          message: event.message,
          resumeCommand: event.resumeCommand,
          resumeRepeatsFailure: event.resumeRepeatsFailure,
          restartCommand: event.restartCommand,
          insteadOfResuming: event.insteadOfResuming,
          journal: event.journal,
          log: event.log,
          atMs: atMs(event.at, nowMs),
          freezeWindowSec: event.freezeWindowSec,
          downtimeSec: event.downtimeSec,
        },
      };
  }
}

/** The step a failure is about: the failed (or blocked) one, else the current one. */
export function failedStep(model: TuiModel): StepView | undefined {
  return (
    model.steps.find((s) => s.status === "failed") ??
    model.steps.find((s) => s.status === "blocked") ??
    model.steps.find((s) => s.id === model.currentId)
  );
}

/** "title (host): summary — fix: remediation", the one wording of a warning on screen. */
export const warningText = (f: Finding): string =>
  `${f.title}${f.host ? ` (${f.host})` : ""}: ${f.summary}${f.remediation ? ` — fix: ${f.remediation}` : ""}`;

export function warningsOf(model: TuiModel): Finding[] {
  return model.steps.flatMap((s) => s.findings.filter((f) => !f.blocks && f.severity === "warning"));
}
