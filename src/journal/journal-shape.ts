import { STEP_STATUSES } from "../engine/statuses.js";
import { array, bool, int, literal, num, object, oneOf, optional, record, str, unknown, withDefault } from "./shape.js";

/**
 * The journal's zod schema (journal.ts) as a light shape, for `status` and `runs`, which only show a
 * journal and start without zod. test/journal/light-shapes.test.ts holds the two to the same answers.
 */
export const journalShape = object({
  version: literal(1),
  migrationId: str,
  kind: str,
  planPath: str,
  planHash: str,
  planTextHash: optional(str),
  planKeyHashes: optional(record(str)),
  createdAt: str,
  updatedAt: str,
  steps: record(
    object({
      status: oneOf(STEP_STATUSES),
      startedAt: optional(str),
      endedAt: optional(str),
      durationMs: optional(num),
      message: optional(str),
      checks: optional(array(object({ name: str, ok: bool, detail: optional(str) }))),
      attempts: withDefault(int, 0),
    }),
  ),
  facts: record(unknown),
  compensations: array(
    object({
      id: str,
      title: str,
      host: str,
      command: str,
      registeredBy: str,
      notInALaterRun: optional(str),
      undoesStep: optional(bool),
    }),
  ),
  compensationLog: array(
    object({
      id: str,
      title: str,
      ok: bool,
      at: str,
      message: optional(str),
      outcome: optional(str),
      notRun: optional(bool),
      kept: optional(bool),
      registeredBy: optional(str),
    }),
  ),
  runs: array(object({ startedAt: str, endedAt: optional(str), mode: str, outcome: optional(str) })),
});
