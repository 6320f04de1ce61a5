import type { StepContext } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";

export type OvzPlan = PlanOf<"openvz-to-kvm">;
export type OvzContext = StepContext<OvzPlan>;

/** Where the source reaches the target for the push: plan override, else the target endpoint. */
export function targetFromSource(plan: OvzPlan): { address: string; port: number; user: string } {
  const address = plan.options.targetAddressFromSource ?? plan.target.host;
  if (!address) throw new Error("the plan has no address the source can reach the target at: set options.targetAddressFromSource");
  return { address, port: plan.options.targetPortFromSource ?? plan.target.port, user: "root" };
}

/** Journal fact keys written by this pipeline (declared with their shapes in ovz-kvm/facts.ts). */
export { FACT } from "./facts.js";
