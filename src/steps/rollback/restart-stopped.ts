import { defineStep, verifyResult, type Compensation } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import type { RollbackTarget } from "./context.js";

/** What the migration had stopped and not started again (its pending compensations), started now. */
export function restartStopped(target: RollbackTarget) {
  return defineStep<OvzPlan, Compensation[]>({
    id: "restart-stopped",
    title: "Start again what the migration had stopped",
    destructive: false,

    async probe() {
      const pending = [...target.migration.snapshot.compensations].reverse();
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
