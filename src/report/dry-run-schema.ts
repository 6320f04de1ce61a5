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
  // The descriptions are what `mudanza schema dry-run-report` prints: a reader of the JSON has no other documentation.
  risk: z
    .object({
      changes: z
        .array(z.string())
        .describe("The steps that change a host: those that ask at a gate, then those that do not."),
      overwrites: z
        .array(z.string())
        .describe("What is overwritten or deleted, counted where it can be, each line saying how it was measured."),
      freeze: z
        .array(z.string())
        .describe("The expected freeze window and downtime, each saying where the figure comes from."),
      undo: z
        .array(z.string())
        .describe(
          "How to undo the run, one line per way back (a checkpoint's rollback command, or what to do by hand). Never empty: when nothing can undo the run, its line says so, as the Markdown report's Undo line does.",
        ),
    })
    .describe(
      "The top of the report, the same lines as the Markdown's Risk section, in plain text (commands and plan keys in backquotes).",
    ),
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
