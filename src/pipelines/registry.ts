import type { Pipeline } from "../engine/step.js";
import type { Plan, PlanKind, PlanOf } from "../plan/schema.js";

type Builder<K extends PlanKind> = (plan: PlanOf<K>) => Pipeline<PlanOf<K>>;

/** Each plan kind's pipeline, loaded lazily so a command pulls in only what it runs. */
const builders: { [K in PlanKind]: () => Promise<Builder<K>> } = {
  "openvz-to-kvm": async () => (await import("./openvz-to-kvm/pipeline.js")).buildOpenvzToKvm,
  "vserver-to-openvz": async () => (await import("./vserver-to-openvz/pipeline.js")).buildVserverToOpenvz,
};

export async function buildPipeline(plan: Plan): Promise<Pipeline<Plan>> {
  const build = (await builders[plan.kind]()) as unknown as (p: Plan) => Pipeline<Plan>;
  return build(plan);
}
