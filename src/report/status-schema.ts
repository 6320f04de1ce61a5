import { z } from "zod";
import { journalSchema } from "../journal/journal.js";
import { RUN_STATES } from "./runs-schema.js";
import { documentJsonSchema } from "./document-json-schema.js";

/** `mudanza status PLAN-OR-ID --format json`: the journal, and the run's state as `runs` says it. */
export const statusDocumentSchema = journalSchema.extend({
  version: journalSchema.shape.version.describe(
    "the journal's format version: raised when a field changes meaning or goes away",
  ),
  state: z.string().describe(RUN_STATES),
});
export type StatusDocument = z.infer<typeof statusDocumentSchema>;

/** The JSON Schema of `status PLAN --format json`, as `mudanza schema status` prints it. */
export function statusJsonSchema(): Record<string, unknown> {
  return documentJsonSchema(
    statusDocumentSchema,
    "mudanza status (status PLAN-OR-ID --format json: the journal and the run's state)",
  );
}
