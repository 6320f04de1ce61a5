import { PROMPT_ANSWERERS, RUN_MODES, RUN_STATUSES, SEVERITIES, STEP_STATUSES } from "../engine/statuses.js";
import {
  array,
  bool,
  literal,
  nonNegative,
  num,
  object,
  oneOf,
  optional,
  record,
  str,
  type Shape,
} from "../journal/shape.js";

const at = { at: str };
const finding = object({
  title: str,
  summary: str,
  severity: oneOf(SEVERITIES),
  blocks: bool,
  remediation: optional(str),
  host: optional(str),
  id: optional(str),
  acknowledged: optional(str),
});

/**
 * The event kinds a report reads from a run log, as light shapes of events.ts's zod schemas (same fields,
 * same enums): `status` reads logs without loading zod. test/journal/light-shapes.test.ts keeps them equal.
 * Of a probe and a gate's prompt only what a report reads (SUMMARIZED_FIELDS): their planned commands are
 * most of a log, and checking each of them cost `status` some 6 million instructions (valgrind).
 */
export const REPORTED_EVENT_SHAPES = new Map<string, Shape>(
  Object.entries({
    "pipeline-start": object({
      type: literal("pipeline-start"),
      ...at,
      kind: str,
      title: str,
      hosts: record(str),
      mode: oneOf(RUN_MODES),
      resumed: bool,
      steps: array(object({ id: str, title: str, destructive: bool, status: oneOf(STEP_STATUSES) })),
      journal: optional(str),
    }),
    "step-probed": object({
      type: literal("step-probed"),
      ...at,
      stepId: str,
      findings: array(finding),
    }),
    prompt: object({ type: literal("prompt"), ...at, stepId: str }),
    "prompt-answer": object({
      type: literal("prompt-answer"),
      ...at,
      stepId: str,
      accepted: bool,
      by: oneOf(PROMPT_ANSWERERS),
    }),
    "step-end": object({
      type: literal("step-end"),
      ...at,
      stepId: str,
      status: oneOf(STEP_STATUSES),
      durationMs: nonNegative,
      message: optional(str),
      checks: optional(array(object({ name: str, ok: bool, detail: optional(str) }))),
    }),
    compensation: object({
      type: literal("compensation"),
      ...at,
      id: str,
      title: str,
      host: str,
      ok: bool,
      message: optional(str),
      outcome: optional(str),
      notRun: optional(bool),
      kept: optional(bool),
    }),
    "pipeline-end": object({
      type: literal("pipeline-end"),
      ...at,
      status: oneOf(RUN_STATUSES),
      signal: optional(oneOf(["SIGINT", "SIGTERM"])),
      message: optional(str),
      resumeCommand: optional(str),
      resumeRepeatsFailure: optional(bool),
      restartCommand: optional(str),
      insteadOfResuming: optional(str),
      journal: optional(str),
      log: optional(str),
      freezeWindowSec: optional(num),
      downtimeSec: optional(num),
    }),
  }),
);

/** The fields of a probe and of a prompt the shapes above keep: the rest of those events no report reads. */
export const SUMMARIZED_FIELDS = {
  "step-probed": ["type", "at", "stepId", "findings"],
  prompt: ["type", "at", "stepId"],
} as const;
