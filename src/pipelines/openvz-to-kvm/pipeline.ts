import { BadInputError } from "../../errors.js";
import type { Pipeline } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";

// Placeholder until the OpenVZ → KVM steps land (issue 6): refuses clearly instead of pretending.
export function buildOpenvzToKvm(_plan: PlanOf<"openvz-to-kvm">): Pipeline<PlanOf<"openvz-to-kvm">> {
  throw new BadInputError("the openvz-to-kvm pipeline is not built yet");
}
