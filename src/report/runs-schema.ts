import { z } from "zod";
import { STANDING_STATUSES } from "./run-standing.js";
import { RUNS_DOCUMENT_VERSION } from "./runs-document.js";
import { documentJsonSchema } from "./document-json-schema.js";

/** The words of a run's state, as `runs` and `status` say it (runState in runs-list.ts). */
export const RUN_STATES =
  "the last run's outcome (done, failed, blocked, interrupted, declined); running (a live mudanza holds its lock) or killed (it ended without recording an outcome); rolled back (mudanza rollback rewound the migration since); rollback unfinished (a rollback returned a host to a checkpoint and stopped before rewinding the journal: facts.rollbackUnderWay says which); not run";

/** One journal of the state directory, as `runs --format json` lists it; an unreadable one has `error`. */
export const runEntrySchema = z.object({
  id: z.string().describe("the journal's file name without .journal.json: what `mudanza status ID` takes"),
  kind: z
    .string()
    .nullable()
    .describe("what ran: openvz-to-kvm, vserver-to-openvz, image-clone…; null when the journal cannot be read"),
  state: z.string().describe(`${RUN_STATES}; unreadable (see error)`),
  stepId: z
    .string()
    .nullable()
    .describe(
      "the step the run stopped at, or with stepStatus done the last step that did something; null when no step did anything yet, or the journal cannot be read",
    ),
  stepStatus: z
    .enum(STANDING_STATUSES)
    .nullable()
    .describe(
      "how the run stands at stepId: failed, blocked or running there; at its gate waiting-for-confirmation (a live run) or killed-at-confirmation (nothing of it ran); declined at its gate; done: the run stands after it. Null when stepId is",
    ),
  freezeWindowSec: z
    .number()
    .nullable()
    .describe("how long the source was stopped, in seconds, as the journal records it; null until a run measured it"),
  startedAt: z.string().nullable().describe("when the last run started (ISO 8601); null when none did"),
  updatedAt: z.string().nullable().describe("the journal's last change (ISO 8601); null when it cannot be read"),
  plan: z
    .string()
    .nullable()
    .describe("the plan file; null for image and host commands (see commandLine) and when the journal cannot be read"),
  commandLine: z
    .string()
    .nullable()
    .describe(
      "the command line of an image or host command (mudanza image …); null for a plan's run, and in journals of earlier versions",
    ),
  journal: z.string().describe("the journal file"),
  error: z
    .string()
    .nullable()
    .describe("why the journal cannot be read (state unreadable), with what to do; null when it can"),
});
export type RunEntry = z.infer<typeof runEntrySchema>;

/** `mudanza runs --format json`, and a bare `mudanza status --format json`. */
export const runsDocumentSchema = z.object({
  version: z.literal(RUNS_DOCUMENT_VERSION).describe("raised when a field changes meaning or goes away"),
  stateDir: z.string().describe("the state directory whose journals these are"),
  runs: z.array(runEntrySchema).describe("newest first (by updatedAt); unreadable journals last"),
});
export type RunsDocument = z.infer<typeof runsDocumentSchema>;

/** The JSON Schema of `runs --format json`, as `mudanza schema runs` prints it. */
export function runsJsonSchema(): Record<string, unknown> {
  return documentJsonSchema(
    runsDocumentSchema,
    "mudanza runs (runs --format json, and status --format json without a plan or ID)",
  );
}
