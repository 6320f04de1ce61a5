import { BadInputError } from "../../errors.js";
import type { Pipeline } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";

// Placeholder until the VServer → OpenVZ steps land (issue 7): refuses clearly instead of pretending.
export function buildVserverToOpenvz(_plan: PlanOf<"vserver-to-openvz">): Pipeline<PlanOf<"vserver-to-openvz">> {
  throw new BadInputError("the vserver-to-openvz pipeline is not built yet");
}
