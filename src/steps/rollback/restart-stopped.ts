import { defineStep, verifyResult, type Compensation } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import type { RollbackTarget } from "./context.js";

/** The migration's pending compensations, newest first: the order they undo in. */
const pendingOf = (target: RollbackTarget): Compensation[] => [...target.migration.snapshot.compensations].reverse();

/**
 * What the step does without a gate, each command with its host: the dry run's risk summary lists it (new-user
 * trial 9: it listed only the gated revert, while this step ran `systemctl start` and `rm -rf` on the source).
 */
function changesOf(pending: Compensation[]): string {
  const what = "runs what the migration left to undo";
  if (pending.length === 0) return what;
  return `${what}, in this order: ${pending.map((c) => `${c.title} (${c.host}: \`${c.command}\`)`).join("; ")}`;
}

/** What the migration had stopped and not started again (its pending compensations), started now. */
export function restartStopped(target: RollbackTarget) {
  return defineStep<OvzPlan, Compensation[]>({
    id: "restart-stopped",
    title: "Start again what the migration had stopped",
    destructive: false,
    changesWithoutAsking: changesOf(pendingOf(target)),

    async probe() {
      const pending = pendingOf(target);
      return {
        satisfied: pending.length === 0,
        reason: pending.length === 0 ? "the migration left nothing stopped" : undefined,
        plan: pending,
        findings: [],
        details: pending.map((c) => `${c.title} (registered by ${c.registeredBy})`),
      };
    },

    commands: (plan) => plan.map((c) => ({ host: c.host, command: c.command, purpose: c.title })),

    async run(ctx, plan) {
      for (const c of plan) {
        await execOk(ctx.host(c.host), c.command, { signal: ctx.signal, timeoutMs: 300_000 });
        await target.migration.removeCompensation(c.id, { ok: true, title: `${c.title} (by mudanza rollback)` });
      }
    },

    async verify() {
      const left = target.migration.snapshot.compensations;
      return verifyResult([
        {
          name: "no compensation of the migration is pending",
          ok: left.length === 0,
          detail: left.map((c) => c.title).join("; ") || undefined,
        },
      ]);
    },
  });
}
