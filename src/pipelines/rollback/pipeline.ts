import type { Pipeline, Step } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";
import { resetJournal } from "../../steps/rollback/reset-journal.js";
import { restartStopped } from "../../steps/rollback/restart-stopped.js";
import { revertSide } from "../../steps/rollback/revert-side.js";
import type { RollbackTarget } from "../../steps/rollback/context.js";

type OvzPlan = PlanOf<"openvz-to-kvm">;

/**
 * `mudanza rollback PLAN`: the target (and the source, where the checkpoint has it) back to a checkpoint,
 * what the migration had stopped started again, and the migration's journal rewound to match.
 */
export function buildRollback(target: RollbackTarget): Pipeline<OvzPlan> {
  return {
    kind: "rollback",
    title: `Roll the migration back to checkpoint ${target.name}`,
    steps: [
      revertSide("target", target),
      revertSide("source", target),
      restartStopped(target),
      resetJournal(target),
    ] as Array<Step<OvzPlan>>,
  };
}
