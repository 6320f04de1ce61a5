import type { Pipeline, Step } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";
import { deleteOnRequest, type DeleteRequest } from "../../steps/checkpoints/delete-on-request.js";

type OvzPlan = PlanOf<"openvz-to-kvm">;

/** `mudanza checkpoints PLAN --delete`: the migration's checkpoints deleted behind a gate, the deletion journaled. */
export function buildCheckpointsDelete(request: DeleteRequest): Pipeline<OvzPlan> {
  return {
    kind: "checkpoints-delete",
    title: `Delete the checkpoints of migration ${request.migration.snapshot.migrationId}`,
    steps: [deleteOnRequest(request)] as Array<Step<OvzPlan>>,
  };
}
