import type { Pipeline, Step } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";
import { resetJournal } from "../../steps/rollback/reset-journal.js";
import { restartStopped } from "../../steps/rollback/restart-stopped.js";
import { revertSide } from "../../steps/rollback/revert-side.js";
import type { RollbackTarget } from "../../steps/rollback/context.js";
import { rollbackUnderWay, rollbackUnderWayText } from "../../journal/rollback-under-way.js";

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

type OvzPlan = PlanOf<"openvz-to-kvm">;

/**
 * `mudanza rollback PLAN`: the target (and the source, where the checkpoint has it) back to a checkpoint,
 * what the migration had stopped started again, and the migration's journal rewound to match.
 */
export function buildRollback(target: RollbackTarget, finishCommand: string): Pipeline<OvzPlan> {
  return {
    kind: "rollback",
    title: `Roll the migration back to checkpoint ${target.name}`,
    steps: [
      revertSide("target", target),
      revertSide("source", target),
      restartStopped(target),
      resetJournal(target),
    ] as Array<Step<OvzPlan>>,
    // Stopped after a revert (declined, failed, interrupted): the end says which host is back and which is not,
    // not only the step it stopped at (new-user trial 12: the target was reverted, the source not, unsaid).
    leftPartWay() {
      const underWay = rollbackUnderWay(target.migration.snapshot.facts);
      if (!underWay) return undefined;
      return `${capitalized(rollbackUnderWayText(underWay))}. Until it is finished (${finishCommand}), \`mudanza run\` refuses this migration.`;
    },
  };
}
