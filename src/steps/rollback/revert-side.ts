import { blocker } from "../../engine/finding.js";
import { defineStep, verifyResult, type PlannedCommand, type Step } from "../../engine/step.js";
import { errorMessage } from "../../errors.js";
import type { Host } from "../../hosts/host.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { backendOf, configFor, describeConfig, type CheckpointSide } from "../checkpoints/sides.js";
import { takenCheckpoints, type RollbackTarget } from "./context.js";
import { checkedFact } from "../../engine/facts.js";
import { rollbackUnderWay, withReverted } from "../../journal/rollback-under-way.js";
import { OVZ_FACTS } from "../openvz-to-kvm/facts.js";

export interface RevertPlan {
  name: string;
  commands: PlannedCommand[];
}

/** How long a revert waits for its host to answer, how often it tries, and how often it says it still waits. */
export interface AnswerWait {
  timeoutMs: number;
  retryMs: number;
  progressEveryMs: number;
}

const ANSWER_WAIT: AnswerWait = { timeoutMs: 180_000, retryMs: 2000, progressEveryMs: 15_000 };

/** What became of the wait: an exit code is an answer (the host ran the command), an error or the deadline not. */
export type Answer =
  { answered: true; code: number; stderr: string } | { answered: false; why: string; waitedMs: number };

/**
 * Waits until the host answers a command again on a new connection (its old one died with the state it had),
 * saying every `progressEveryMs` that it still waits and why (a revert's boot takes minutes, silence looks hung).
 */
export async function answersAgain(
  host: Host,
  signal: AbortSignal,
  say: (line: string) => void,
  wait: AnswerWait = ANSWER_WAIT,
): Promise<Answer> {
  const started = Date.now();
  let said = started;
  let last = "";
  while (Date.now() - started < wait.timeoutMs && !signal.aborted) {
    try {
      await host.reconnect({ timeoutMs: 15_000 });
      const r = await host.exec("true", { signal, timeoutMs: 15_000 });
      return { answered: true, code: r.code, stderr: r.stderr.trim().split("\n").slice(-2).join(" | ") };
    } catch (error) {
      last = errorMessage(error);
    }
    if (Date.now() - said >= wait.progressEveryMs) {
      said = Date.now();
      say(
        `waiting for it to answer over ssh: ${Math.round((said - started) / 1000)} s of ${Math.round(wait.timeoutMs / 1000)} s (${last})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait.retryMs));
  }
  return { answered: false, why: signal.aborted ? "interrupted" : last || "no answer", waitedMs: Date.now() - started };
}

/** Why a side is not back after its revert, as the run's error: not answering, or answering with a failure. */
export function answerTrouble(side: string, answer: Answer): string | undefined {
  if (!answer.answered)
    return `the ${side} did not answer over ssh within ${Math.round(answer.waitedMs / 1000)} s of the revert: ${answer.why}`;
  if (answer.code === 0) return undefined;
  return `the ${side} answers over ssh since the revert, but \`true\` failed there with exit ${answer.code}${answer.stderr ? ` (${answer.stderr})` : ""}${answer.code === 127 ? ": the command was not found, so its shell or PATH is not what mudanza expects" : ""}`;
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
      // Recorded at once, before waiting for the host: from here the hosts may be at different points in time,
      // and `run` and `status` must know it until the rollback's rewind drops it (new-user trial 12).
      await target.migration.setFact(
        OVZ_FACTS.rollbackUnderWay.key,
        checkedFact(
          OVZ_FACTS.rollbackUnderWay,
          withReverted(rollbackUnderWay(target.migration.snapshot.facts), target.name, target.sides, side),
        ),
      );
      const answer = await answersAgain(ctx.host(side), ctx.signal, (line) => ctx.output(side, line));
      const trouble = answerTrouble(side, answer);
      if (trouble) throw new Error(trouble);
    },

    async verify(ctx) {
      const r = await ctx
        .host(side)
        .exec("true", { signal: ctx.signal, timeoutMs: 15_000 })
        .then(
          (result) => ({ ...result, answered: true }),
          (error: unknown) => ({ code: -1, stderr: errorMessage(error), answered: false }),
        );
      return verifyResult([
        {
          name: `the ${side} answers over ssh`,
          ok: r.code === 0,
          detail:
            r.code === 0
              ? undefined
              : r.answered
                ? `it answered, but \`true\` failed with exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ""}`
                : `no answer: ${r.stderr}`,
        },
      ]);
    },
  });
}
