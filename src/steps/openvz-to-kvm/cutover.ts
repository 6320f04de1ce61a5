import { defineStep, verifyResult } from "../../engine/step.js";
import { freezeUnits, runningNow, showPropsCommand, STAMP_PROPS } from "../services/freeze-units.js";
import type { OvzContext, OvzPlan } from "./plan.js";
import { OVZ_FACTS, type DatabaseFact } from "./facts.js";

export const START_SOURCE_COMPENSATION = "start-databases-source";

const frozenUnits = (record: DatabaseFact | undefined): string[] =>
  record ? freezeUnits({ services: record.units, triggers: record.triggers ?? [] }) : [];

const stillRunning = (ctx: OvzContext, units: string[]): Promise<string[]> =>
  runningNow(ctx.host("source"), units, ctx.signal);

/**
 * The last step of a cutover plan, after the VM proved it boots and serves: only now do the source's
 * databases stay stopped for good and further copies become refused. Until here every failure starts
 * them again on the source (db-freeze's compensation stays pending), so production is never down on
 * both sides.
 */
export const cutover = defineStep<OvzPlan, { units: string[] } | null>({
  id: "cutover",
  title: "Cut over: the VM is production, the source stays stopped",
  destructive: true,

  skip: (ctx) =>
    ctx.plan.options.cutover
      ? undefined
      : "no cutover in this plan: the source's databases ran again right after the final pass",

  async probe(ctx) {
    const record = ctx.facts.get(OVZ_FACTS.databases);
    if (record?.cutoverAt)
      return { satisfied: true, reason: `cut over at ${record.cutoverAt}`, plan: null, findings: [] };
    const units = frozenUnits(record);
    return {
      satisfied: false,
      plan: { units },
      findings: [],
      details: [
        units.length > 0
          ? `the source's ${units.join(", ")} stay stopped: nothing starts them again if a later run fails`
          : "no database was stopped at the freeze",
        "after this, no copy runs again for this plan: the VM may hold newer data than the source",
      ],
    };
  },

  commands: (plan) =>
    plan && plan.units.length > 0
      ? [
          {
            host: "source",
            command: showPropsCommand(STAMP_PROPS, plan.units),
            purpose: "check the source's databases stayed stopped since the final pass",
          },
        ]
      : [],

  async run(ctx, plan) {
    const record = ctx.facts.get(OVZ_FACTS.databases);
    if (!record || !plan) throw new Error("no freeze recorded: db-freeze has not run for this plan");
    const running = await stillRunning(ctx, plan.units);
    if (running.length > 0)
      throw new Error(
        `the source's ${running.join(", ")} runs again since the final pass: its writes since then are not on the VM. Stop it and run again (the freeze and final pass are redone)`,
      );
    await ctx.compensations.clear(START_SOURCE_COMPENSATION);
    await ctx.facts.set(OVZ_FACTS.databases, {
      ...record,
      leftStoppedOnSource: true,
      cutoverAt: new Date().toISOString(),
    });
    ctx.output(
      "source",
      `cutover: the VM is the production system; ${plan.units.join(", ") || "nothing"} stays stopped on the source`,
    );
  },

  async verify(ctx) {
    const record = ctx.facts.get(OVZ_FACTS.databases);
    const running = await stillRunning(ctx, frozenUnits(record));
    return verifyResult([
      { name: "cutover recorded", ok: !!record?.cutoverAt, detail: record?.cutoverAt ?? "missing" },
      { name: "source databases stopped", ok: running.length === 0, detail: running.join(", ") || undefined },
    ]);
  },
});
