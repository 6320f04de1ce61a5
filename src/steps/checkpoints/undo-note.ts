import { warning, type Finding } from "../../engine/finding.js";
import type { Step } from "../../engine/step.js";
import { pasteable } from "../../hosts/quote.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { configFor, describeConfig, nameFor, type CheckpointPurpose, type CheckpointSide } from "./sides.js";

/** Which checkpoint undoes a destructive step of this pipeline, by step id: the latest one taken before it. */
const UNDONE_BY: Record<string, { purpose: CheckpointPurpose; sides: CheckpointSide[] }> = {
  "pre-update": { purpose: "before-update", sides: ["target", "source"] },
  rsync: { purpose: "before-copy", sides: ["target"] },
  "db-freeze": { purpose: "before-copy", sides: ["target"] },
  "reboot-verify": { purpose: "before-copy", sides: ["target"] },
  cutover: { purpose: "before-copy", sides: ["target"] },
};

/**
 * The lines a destructive step's gate adds: for each side it changes, the checkpoint that undoes it and
 * the command that returns to it (with the plan's path when known: a command to paste, new-user trial 7), or
 * a warning that nothing can (unless `warnedApart`: the step's "No checkpoints" finding says it). Also the
 * dry-run report's "undo" text.
 */
export function undoLines(plan: OvzPlan, stepId: string, planPath?: string, warnedApart = false): string[] {
  const undo = UNDONE_BY[stepId];
  if (!undo) return [];
  const name = nameFor(plan, undo.purpose);
  const lines: string[] = [];
  const uncovered: CheckpointSide[] = [];
  for (const side of undo.sides) {
    const config = configFor(plan, side);
    if (config)
      lines.push(
        `undo: \`mudanza rollback ${planPath ? pasteable(planPath) : "PLAN"} --to ${name}\` returns the ${side} to checkpoint ${name} (${describeConfig(config)})`,
      );
    else uncovered.push(side);
  }
  // One short line: a gate on an 80x24 terminal must still show its commands above it. Not beside the step's
  // "No checkpoints" warning, which says the same of the same sides (new-user trial 9, smaller things).
  if (uncovered.length > 0 && !warnedApart)
    lines.push(`warning: no checkpoint, nothing can undo this on the ${uncovered.join(" or the ")}`);
  return lines;
}

/** The id of the "No checkpoints" warning. */
const NO_CHECKPOINTS = "no-checkpoints";

/**
 * Said once per run, by the first step that changes a host (the pre-update step, or the copy when the plan
 * skips it): a checkpoint step with nothing configured is skipped, and says nothing itself.
 */
function noCheckpointFindings(plan: OvzPlan, stepId: string): Finding[] {
  if (stepId !== (plan.options.skipPreUpdate ? "rsync" : "pre-update")) return [];
  const uncovered = UNDONE_BY[stepId]!.sides.filter((side) => !configFor(plan, side));
  return uncovered.length === 0
    ? []
    : [
        {
          // One statement about the plan, said by whichever step comes first: a later run's replaces it in status.
          id: NO_CHECKPOINTS,
          ...warning(
            "No checkpoints",
            `nothing can undo the migration's changes to the ${uncovered.join(" or the ")}`,
            // A plan with the section lacks a side, not the section (new-user trial 7)
            plan.checkpoints
              ? `add ${uncovered.map((side) => `checkpoints.${side}`).join(" and ")} to the plan's checkpoints section (\`mudanza plan openvz-to-kvm\` shows it)`
              : "add a checkpoints section (`mudanza plan openvz-to-kvm` shows it)",
          ),
        },
      ];
}

/** The step with its undo lines added to what its gate and the dry-run report show. */
export function withUndoNote<P>(step: Step<OvzPlan, P>, planPath?: string): Step<OvzPlan, P> {
  if (!UNDONE_BY[step.id]) return step;
  return {
    ...step,
    skip: step.skip?.bind(step),
    commands: step.commands.bind(step),
    run: step.run.bind(step),
    verify: step.verify.bind(step),
    async probe(ctx) {
      const probed = await step.probe(ctx);
      const warned = noCheckpointFindings(ctx.plan, step.id);
      return {
        ...probed,
        findings: [...probed.findings, ...warned],
        details: [...(probed.details ?? []), ...undoLines(ctx.plan, step.id, planPath, warned.length > 0)],
      };
    },
  };
}
