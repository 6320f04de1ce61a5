import { z } from "zod";
import { PROMPT_ANSWERERS, RUN_MODES, RUN_STATUSES, SEVERITIES, STEP_STATUSES } from "./statuses.js";

/**
 * Every event the runner emits, as one zod-defined discriminated union: renderers (TUI, listr2, NDJSON)
 * only listen to these, and the NDJSON schema is exported from here.
 */
export const stepStatusSchema = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof stepStatusSchema>;

export const findingSchema = z.object({
  title: z.string(),
  summary: z.string(),
  severity: z.enum(SEVERITIES),
  blocks: z.boolean(),
  remediation: z.string().optional(),
  host: z.string().optional(),
  /**
   * A stable kebab-case id of the kind of finding, where it has one: every host doctor finding, a probe that could
   * not answer (cannot-check), and a blocker that can be wrong by design (a size, a detected service), which the
   * plan may acknowledge by this id. Several findings may share one (a disk not on virtio, once per disk).
   */
  id: z
    .string()
    .optional()
    .describe(
      "stable id of the kind of finding, where it has one (every host doctor finding; cannot-check; blockers a plan may acknowledge)",
    ),
  /** The plan acknowledged this blocker (options.acknowledge): the reason it gave. The finding then no longer blocks. */
  acknowledged: z.string().optional(),
});

export type Finding = z.infer<typeof findingSchema>;

/**
 * A command a step would run, shown in dry-run reports and gate confirmations; purpose says why, in a few words.
 * `when` marks a fallback that runs only in that case (shown as "only if ..."); every other command always runs.
 */
export const plannedCommandSchema = z.object({
  host: z.string(),
  command: z.string(),
  purpose: z.string().optional(),
  when: z.string().optional(),
});
export type PlannedCommand = z.infer<typeof plannedCommandSchema>;

export const verifyCheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() });
export type VerifyCheck = z.infer<typeof verifyCheckSchema>;

export const runModeSchema = z.enum(RUN_MODES);
export type RunMode = z.infer<typeof runModeSchema>;

export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const progressInfoSchema = z.object({
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().optional(),
  percent: z.number().min(0).max(100).optional(),
  rateBytesPerSec: z.number().nonnegative().optional(),
  etaSec: z.number().nonnegative().optional(),
  filesChecked: z.number().int().nonnegative().optional(),
  filesTotal: z.number().int().nonnegative().optional(),
  label: z.string().optional(),
});
export type ProgressInfo = z.infer<typeof progressInfoSchema>;

const at = { at: z.string() };

/** Present only when the file is there: a script that follows it finds a journal. */
const journalField = z
  .string()
  .optional()
  .describe(
    "the run's journal file; absent when nothing was written to it: a dry run of a plan that never ran, or a run that ended before it began (a host that cannot be reached); in pipeline-end, also when the journal is removed as the run ends (insteadOfResuming)",
  );

export const pipelineEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("pipeline-start"),
    ...at,
    kind: z.string(),
    title: z.string(),
    hosts: z.record(z.string(), z.string()),
    mode: runModeSchema,
    resumed: z.boolean(),
    steps: z.array(z.object({ id: z.string(), title: z.string(), destructive: z.boolean(), status: stepStatusSchema })),
    journal: journalField,
  }),
  z.object({ type: z.literal("step-start"), ...at, stepId: z.string(), phase: z.enum(["probe", "run", "verify"]) }),
  z.object({
    type: z.literal("step-probed"),
    ...at,
    stepId: z.string(),
    satisfied: z.boolean(),
    reason: z.string().optional(),
    commands: z.array(plannedCommandSchema),
    findings: z.array(findingSchema),
    details: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal("output"),
    ...at,
    stepId: z.string(),
    host: z.string(),
    stream: z.enum(["stdout", "stderr"]),
    line: z.string(),
  }),
  z.object({ type: z.literal("progress"), ...at, stepId: z.string(), progress: progressInfoSchema }),
  z.object({
    type: z.literal("prompt"),
    ...at,
    stepId: z.string(),
    title: z.string(),
    commands: z.array(plannedCommandSchema),
    details: z.array(z.string()),
  }),
  z.object({
    type: z.literal("prompt-answer"),
    ...at,
    stepId: z.string(),
    accepted: z.boolean(),
    by: z.enum(PROMPT_ANSWERERS),
  }),
  z.object({
    type: z.literal("step-end"),
    ...at,
    stepId: z.string(),
    status: stepStatusSchema,
    durationMs: z.number().nonnegative(),
    message: z.string().optional(),
    checks: z.array(verifyCheckSchema).optional(),
  }),
  z.object({
    type: z.literal("compensation"),
    ...at,
    id: z.string(),
    title: z.string(),
    host: z.string(),
    ok: z.boolean(),
    message: z.string().optional(),
    /** What the undo did, when its command chose between branches and said which (undo-outcome.ts). */
    outcome: z.string().optional(),
    notRun: z
      .boolean()
      .optional()
      .describe(
        "true when the undo's command was not run: a later run found it pending and only reported its note (in outcome)",
      ),
    kept: z
      .boolean()
      .optional()
      .describe("true when the undo ran and kept things as they were (its outcome says why): nothing was undone"),
    earlierRun: z
      .boolean()
      .optional()
      .describe(
        "true when an earlier run (killed, say) left the undo pending and this run did it first, before its checks",
      ),
  }),
  z.object({
    type: z.literal("pipeline-end"),
    ...at,
    status: runStatusSchema,
    signal: z
      .enum(["SIGINT", "SIGTERM"])
      .optional()
      .describe(
        "what interrupted the run (status interrupted); the exit code follows from status and signal (README: exit codes)",
      ),
    message: z.string().optional(),
    exitCode: z
      .number()
      .int()
      .optional()
      .describe(
        "the CLI's exit code (README: exit codes); a run that ended before it began (a host that cannot be reached) has only this end event",
      ),
    resumeCommand: z.string().optional(),
    resumeRepeatsFailure: z
      .boolean()
      .optional()
      .describe(
        "true when resuming would only repeat the failure (what the step found stays as it is): resumeCommand is then absent, and the run starts over with restartCommand when the command takes --restart",
      ),
    restartCommand: z
      .string()
      .optional()
      .describe("the command that starts the run over (--restart), given when resumeRepeatsFailure is true"),
    insteadOfResuming: z
      .string()
      .optional()
      .describe(
        "what to do next when the run's plan, journal and hosts are removed as it ends (the demo's lab without --keep): resumeCommand, restartCommand, journal and log are then absent",
      ),
    journal: journalField,
    log: z.string().optional(),
    report: z
      .string()
      .optional()
      .describe(
        "--dry-run --json: the file the dry-run report is written to, beside the journal, once this event is out (stdout holds the events); absent when the dry run was interrupted, which writes no report",
      ),
    journalBeforeRestart: z
      .string()
      .optional()
      .describe("--restart: where the journal the run started over from is kept (JOURNAL.before-restart-TIME)"),
    /** Added by the CLI from the journal's facts, when the pipeline recorded them. */
    freezeWindowSec: z.number().optional(),
    downtimeSec: z.number().optional(),
  }),
]);

export type PipelineEvent = z.infer<typeof pipelineEventSchema>;
export type PipelineEventType = PipelineEvent["type"];
export type EventOf<T extends PipelineEventType> = Extract<PipelineEvent, { type: T }>;

export type EventSink = (event: PipelineEvent) => void;
