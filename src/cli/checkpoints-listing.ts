import { z } from "zod";
import { documentJsonSchema } from "../report/document-json-schema.js";

/** Raised when a field of `checkpoints PLAN --format json` changes meaning or goes away (adding one does not). */
export const CHECKPOINTS_LISTING_VERSION = 1;

const side = z.enum(["target", "source"]);

const listed = {
  name: z.string(),
  takenAt: z.string().nullable().describe("as its backend says it; null when the backend does not"),
  sizeBytes: z.number().nullable().describe("null when the backend does not say"),
};

/** A checkpoint as its backend lists it, and whose it is by the migration's journal (what --delete goes by). */
const listedCheckpointSchema = z.discriminatedUnion("whose", [
  z.object({ ...listed, whose: z.literal("recorded").describe("recorded in its journal as this migration's") }),
  z.object({
    ...listed,
    whose: z.literal("name-only").describe("named like this migration's, but not recorded in its journal as its own"),
    why: z.string(),
    removeByHand: z.string().describe("the command that removes it, for when you are sure it is this migration's"),
  }),
  z.object({ ...listed, whose: z.literal("other").describe("neither recorded nor named like this migration's") }),
]);

/** `mudanza checkpoints PLAN --format json`: each side's checkpoints, and whose each is. */
export const checkpointsListingSchema = z.object({
  version: z.literal(CHECKPOINTS_LISTING_VERSION).describe("raised when a field changes meaning or goes away"),
  plan: z.string().describe("the plan file"),
  journal: z
    .string()
    .nullable()
    .describe("the migration's journal; null when there is none (then no checkpoint is recorded as its own)"),
  sides: z.array(
    z.object({
      side,
      backend: z.string().describe("the backend and where it keeps the checkpoints"),
      checkpoints: z.array(listedCheckpointSchema),
      recordedNotListed: z
        .array(z.object({ name: z.string(), takenAt: z.string() }))
        .describe("recorded in the journal but not listed by the backend: deleted outside mudanza?"),
    }),
  ),
  recordedElsewhere: z
    .array(z.object({ name: z.string(), side, backend: z.string(), via: z.string(), takenAt: z.string() }))
    .describe(
      "recorded in the journal where the plan no longer points: rollback returns to them only with the plan's checkpoints section as the migration ran with it",
    ),
});
export type CheckpointsListing = z.infer<typeof checkpointsListingSchema>;

/** The JSON Schema of `checkpoints PLAN --format json`, as `mudanza schema checkpoints` prints it. */
export function checkpointsJsonSchema(): Record<string, unknown> {
  return documentJsonSchema(checkpointsListingSchema, "mudanza checkpoints (checkpoints PLAN --format json)");
}
