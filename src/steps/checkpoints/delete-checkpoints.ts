import { defineStep, verifyResult, type PlannedCommand } from "../../engine/step.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { OVZ_FACTS, type CheckpointFact } from "../openvz-to-kvm/facts.js";
import { liveCheckpoints, markedDeleted } from "../rollback/context.js";
import { backendOf, configFor } from "./sides.js";
import { pasteable } from "../../hosts/quote.js";

export interface DeletePlan {
  remove: Array<CheckpointFact & { commands: PlannedCommand[] }>;
}

/**
 * The last step: the migration's checkpoints, kept by default (a rollback stays possible while the new
 * VM proves itself; each costs disk until removed), deleted behind its own gate when the plan says so.
 * `planPath` names the plan in the commands it gives (a command to paste, as in the undo lines).
 */
export const deleteCheckpoints = (planPath?: string) =>
  defineStep<OvzPlan, DeletePlan>({
    id: "delete-checkpoints",
    title: "Delete the migration's checkpoints",
    destructive: true,
    skip: (ctx) =>
      liveCheckpoints(ctx.facts.all()).length === 0
        ? "the migration has no checkpoint left (none taken, or deleted since)"
        : undefined,

    async probe(ctx) {
      const planArg = planPath ? pasteable(planPath) : "PLAN";
      const taken = liveCheckpoints(ctx.facts.all());
      const names = taken.map((c) => `${c.name} (${c.side}, ${c.label})`);
      if (!ctx.plan.options.deleteCheckpointsWhenDone) {
        return {
          satisfied: true,
          reason: `kept: ${names.join("; ")}. \`mudanza rollback ${planArg}\` can still return to them; \`mudanza checkpoints ${planArg} --delete\` removes them (or set options.deleteCheckpointsWhenDone)`,
          plan: { remove: [] },
          findings: [],
        };
      }
      const remove: DeletePlan["remove"] = [];
      for (const c of taken) {
        const config = configFor(ctx.plan, c.side);
        if (!config) continue;
        const listed = await backendOf(ctx, config, c.side).list(ctx.signal);
        if (listed.some((l) => l.name === c.name))
          remove.push({ ...c, commands: backendOf(ctx, config, c.side).removeCommands(c.name) });
      }
      return {
        satisfied: remove.length === 0,
        reason: remove.length === 0 ? "none is left" : undefined,
        plan: { remove },
        findings: [],
        details: [
          `after this, \`mudanza rollback\` can no longer return to ${remove.map((c) => `${c.name} (${c.side})`).join(", ")}`,
        ],
      };
    },

    commands: (plan) => plan.remove.flatMap((c) => c.commands),

    async run(ctx, plan) {
      for (const c of plan.remove) {
        await backendOf(ctx, configFor(ctx.plan, c.side)!, c.side).remove(c.name, ctx.signal);
        // Kept in the journal as deleted: rollback no longer offers it, and a later run's checks know why it is gone.
        await ctx.facts.set(OVZ_FACTS.checkpoints, markedDeleted(ctx.facts.get(OVZ_FACTS.checkpoints) ?? [], [c]));
      }
    },

    async verify(ctx) {
      if (!ctx.plan.options.deleteCheckpointsWhenDone) return verifyResult([]);
      const checks = [];
      for (const c of ctx.facts.get(OVZ_FACTS.checkpoints) ?? []) {
        const config = configFor(ctx.plan, c.side);
        if (!config) continue;
        const listed = await backendOf(ctx, config, c.side).list(ctx.signal);
        checks.push({
          name: `checkpoint ${c.name} of the ${c.side} is gone`,
          ok: !listed.some((l) => l.name === c.name),
        });
      }
      return verifyResult(checks);
    },
  });
