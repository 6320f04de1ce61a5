import type { Pipeline } from "../engine/step.js";
import type { Plan, PlanKind, PlanOf } from "../plan/schema.js";

/** `planPath`: the plan file as the user named it, for the commands the steps show (`mudanza rollback PLAN`). */
type Builder<K extends PlanKind> = (plan: PlanOf<K>, planPath?: string) => Pipeline<PlanOf<K>>;

/** Each plan kind's pipeline, loaded lazily so a command pulls in only what it runs. */
const builders: { [K in PlanKind]: () => Promise<Builder<K>> } = {
  "openvz-to-kvm": async () => (await import("./openvz-to-kvm/pipeline.js")).buildOpenvzToKvm,
  "vserver-to-openvz": async () => (await import("./vserver-to-openvz/pipeline.js")).buildVserverToOpenvz,
};

export async function buildPipeline(plan: Plan, planPath?: string): Promise<Pipeline<Plan>> {
  const build = (await builders[plan.kind]()) as unknown as Builder<PlanKind>;
  return build(plan as never, planPath) as unknown as Pipeline<Plan>;
}
