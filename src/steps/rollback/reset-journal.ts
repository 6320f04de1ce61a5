import { defineStep, verifyResult, writeFileCommand } from "../../engine/step.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { FACTS_AFTER, type RollbackTarget } from "./context.js";
import { ROLLED_BACK } from "../../journal/unfinished.js";

export interface ResetPlan {
  steps: string[];
  facts: string[];
}

/**
 * The migration's journal rewound to the checkpoint: the steps it undid are pending again and the facts
 * they wrote are gone, so `mudanza run PLAN` continues from the rolled-back hosts (the checkpoint step
 * finds its checkpoint and keeps it).
 */
export function resetJournal(target: RollbackTarget) {
  const undone = target.stepIds.slice(target.stepIds.indexOf(target.firstUndoneStep));
  return defineStep<OvzPlan, ResetPlan>({
    id: "reset-journal",
    title: "Rewind the migration's journal to the checkpoint",
    destructive: false,

    async probe() {
      const facts = FACTS_AFTER[target.purpose].filter((k) => k in target.migration.snapshot.facts);
      const steps = undone.filter((id) => (target.migration.snapshot.steps[id]?.status ?? "pending") !== "pending");
      const satisfied = facts.length === 0 && steps.length === 0;
      return {
        satisfied,
        // Said only when true: the dry run prints a reason beside "would run" too (found by a new-user trial).
        reason: satisfied ? "the journal is at the checkpoint already" : undefined,
        plan: { steps, facts },
        findings: [],
        details: [`steps pending again: ${steps.join(", ") || "none"}`, `facts dropped: ${facts.join(", ") || "none"}`],
      };
    },

    commands: () => [
      {
        host: "local",
        command: writeFileCommand(target.migration.path, "steps and facts after the checkpoint reset"),
        purpose: "the next `mudanza run PLAN` continues from the rolled-back state",
      },
    ],

    async run() {
      await target.migration.rollBackTo(
        target.stepIds,
        target.firstUndoneStep,
        FACTS_AFTER[target.purpose],
        `${ROLLED_BACK}${target.name} at ${new Date().toISOString()}`,
      );
    },

    async verify() {
      const left = undone.filter((id) => (target.migration.snapshot.steps[id]?.status ?? "pending") !== "pending");
      const facts = FACTS_AFTER[target.purpose].filter((k) => k in target.migration.snapshot.facts);
      return verifyResult([
        { name: "the undone steps are pending", ok: left.length === 0, detail: left.join(", ") || undefined },
        {
          name: "the facts of the undone work are gone",
          ok: facts.length === 0,
          detail: facts.join(", ") || undefined,
        },
      ]);
    },
  });
}
