import type { StepContext } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";
import { pushRouteOf, type PushRoute } from "../../plan/push-route.js";

export type OvzPlan = PlanOf<"openvz-to-kvm">;
export type OvzContext = StepContext<OvzPlan>;

/** Where the source reaches the target for the push: plan override, else the target endpoint. */
export const targetFromSource = (plan: OvzPlan): PushRoute => pushRouteOf(plan, "target");

/** Journal fact keys written by this pipeline (declared with their shapes in ovz-kvm/facts.ts). */
export { FACT } from "./facts.js";
