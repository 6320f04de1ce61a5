import { z } from "zod";
import { findingSchema, plannedCommandSchema } from "../engine/events.js";

/**
 * The `--dry-run --format json` report: a stable, documented shape (validate with dryRunReportSchema).
 * Facts stay as the probes gave them (JSON values); the Markdown report renders the same data.
 */
// Findings and commands have one shape everywhere: the event schema's.
const commandSchema = plannedCommandSchema;

export const dryRunStepSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** A gate: an interactive run asks before it. */
  destructive: z.boolean(),
  /** What a step that does not ask still changes on a host (absent: it only reads, or it asks). */
  changesWithoutAsking: z.string().optional(),
  /** would-run: the probe found work to do; satisfied: already done; skipped: the plan skips it. */
  status: z.enum(["would-run", "satisfied", "skipped", "not-probed", "blocked"]),
  reason: z.string().optional(),
  commands: z.array(commandSchema),
  details: z.array(z.string()),
  findings: z.array(findingSchema),
  facts: z.record(z.string(), z.unknown()),
});

export const dryRunReportSchema = z.object({
  reportVersion: z.literal(1),
  generatedAt: z.string(),
  kind: z.string(),
  title: z.string(),
  /** Role → address ("source" → "root@old.example.org:22"). */
  hosts: z.record(z.string(), z.string()),
  /** ready: no blockers, a real run may start; blocked: fix the blockers first. */
  outcome: z.enum(["ready", "blocked"]),
  /** Facts the probes found, by host role: [{ stepId, label, key, value }]. */
  hostFacts: z.record(
    z.string(),
    z.array(z.object({ stepId: z.string(), label: z.string(), key: z.string(), value: z.unknown() })),
  ),
  steps: z.array(dryRunStepSchema),
  /** What the copy leaves out, each with its reason. */
  excludes: z.array(z.object({ path: z.string(), reason: z.string(), stepId: z.string() })),
  /** The probes' estimate of bytes to transfer, when one gave it. */
  estimate: z.object({ bytesToTransfer: z.number().nonnegative(), stepId: z.string(), key: z.string() }).nullable(),
  /** The top of the report: what changes, what is overwritten or deleted (counted), freeze and downtime, how to undo (when nothing can, one line says so). */
  risk: z.object({
    changes: z.array(z.string()),
    overwrites: z.array(z.string()),
    freeze: z.array(z.string()),
    undo: z.array(z.string()),
  }),
  /** The checkpoints a run would take, each with its estimated disk cost and how that was estimated. */
  checkpoints: z
    .array(
      z.object({
        stepId: z.string(),
        side: z.string(),
        name: z.string(),
        label: z.string(),
        costBytes: z.number().nonnegative(),
        costHow: z.string(),
      }),
    )
    .default([]),
  blockers: z.array(findingSchema),
  warnings: z.array(findingSchema),
});

export type DryRunReport = z.infer<typeof dryRunReportSchema>;
export type DryRunStep = z.infer<typeof dryRunStepSchema>;
