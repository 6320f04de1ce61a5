import { blocker } from "../../engine/finding.js";
import { defineStep, verifyResult, type PlannedCommand, type Step } from "../../engine/step.js";
import { errorMessage } from "../../errors.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { backendOf, configFor, describeConfig, type CheckpointSide } from "../checkpoints/sides.js";
import { takenCheckpoints, type RollbackTarget } from "./context.js";

const ANSWER_TIMEOUT_MS = 180_000;

export interface RevertPlan {
  name: string;
  commands: PlannedCommand[];
}

/** Waits until the host answers a command again on a new connection (its old one died with the state it had). */
async function answersAgain(
  ctx: { host(role: string): import("../../hosts/host.js").Host; signal: AbortSignal },
  role: string,
): Promise<string> {
  const host = ctx.host(role);
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline && !ctx.signal.aborted) {
    try {
      await host.reconnect({ timeoutMs: 15_000 });
      const r = await host.exec("true", { signal: ctx.signal, timeoutMs: 15_000 });
      if (r.code === 0) return "";
      last = `exit ${r.code}`;
    } catch (error) {
      last = errorMessage(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return last || "interrupted";
}

/** Returns one side to the chosen checkpoint; verify: it is reachable again. */
export function revertSide(side: CheckpointSide, target: RollbackTarget): Step<OvzPlan, RevertPlan> {
  return defineStep<OvzPlan, RevertPlan>({
    id: `revert-${side}`,
    title: `Return the ${side} to checkpoint ${target.name}`,
    destructive: true,
    skip: () =>
      target.sides.includes(side) ? undefined : `the migration took no checkpoint ${target.name} of the ${side}`,

    async probe(ctx) {
      const config = configFor(ctx.plan, side);
      const plan: RevertPlan = { name: target.name, commands: [] };
      if (!config)
        return {
          satisfied: false,
          plan,
          findings: [
            blocker(
              `No checkpoints.${side} in the plan`,
              `the plan names no checkpoint backend for the ${side}`,
              "restore the plan the migration ran with",
            ),
          ],
        };
      const backend = backendOf(ctx, config, side);
      const listed = await backend.list(ctx.signal);
      const taken = takenCheckpoints(target.migration.snapshot.facts).find(
        (c) => c.side === side && c.name === target.name,
      );
      const details = [
        `${backend.label}: checkpoint ${target.name}${taken ? `, taken at ${taken.takenAt}` : ""}`,
        `everything done to the ${side} since is lost; the guest runs on from the checkpoint (its clock too, until NTP corrects it)`,
      ];
      if (!listed.some((c) => c.name === target.name)) {
        return {
          satisfied: false,
          plan,
          findings: [
            blocker(
              `Checkpoint ${target.name} not found on the ${side}`,
              `${describeConfig(config)} lists ${listed.map((c) => c.name).join(", ") || "no checkpoint"}`,
              // With none listed there is nothing to choose: say what could be wrong instead.
              listed.length > 0
                ? "choose one of those with --to NAME"
                : `there is no checkpoint to return the ${side} to: check that checkpoints.${side} in the plan names the ${side === "target" ? "VM" : "container"} the migration ran with (\`mudanza checkpoints PLAN\` lists what it finds); a checkpoint deleted outside mudanza cannot be returned to`,
              side,
            ),
          ],
          details,
        };
      }
      return {
        satisfied: false,
        plan: { name: target.name, commands: backend.revertCommands(target.name) },
        findings: [],
        details,
      };
    },

    commands: (plan) => plan.commands,

    async run(ctx, plan) {
      const config = configFor(ctx.plan, side)!;
      await backendOf(ctx, config, side).revert(plan.name, ctx.signal);
      const trouble = await answersAgain(ctx, side);
      if (trouble) throw new Error(`the ${side} does not answer over ssh since the revert: ${trouble}`);
    },

    async verify(ctx) {
      const r = await ctx
        .host(side)
        .exec("true", { signal: ctx.signal, timeoutMs: 15_000 })
        .catch((error: unknown) => ({ code: -1, stderr: errorMessage(error) }));
      return verifyResult([
        {
          name: `the ${side} answers over ssh`,
          ok: r.code === 0,
          detail: r.code === 0 ? undefined : "stderr" in r ? r.stderr : "",
        },
      ]);
    },
  });
}
