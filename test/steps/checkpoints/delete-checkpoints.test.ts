import { describe, expect, it } from "vitest";
import { loadPair, PAIRS } from "../../pipelines/openvz-to-kvm/harness.js";
import { deleteCheckpoints } from "../../../src/steps/checkpoints/delete-checkpoints.js";
import { stepContext } from "../context.js";
import { buildOpenvzToKvm } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";

const kept = {
  side: "target",
  purpose: "before-copy",
  name: "mz-web1-before-copy",
  via: "libvirt",
  label: "libvirt domain web1",
  takenAt: "2026-12-01T18:47:56.000Z",
};

describe("the last step when the plan keeps the checkpoints (new-user trial 9, finding 9)", () => {
  it("names the plan in the rollback and delete commands it gives, as the undo lines do", async () => {
    const { plan } = await loadPair(PAIRS.debian.plan, { deleteCheckpointsWhenDone: false });
    const { ctx } = stepContext(plan, {}, { checkpoints: [kept] });
    const probe = await deleteCheckpoints("/plans/web 1.yaml").probe(ctx);
    expect(probe.satisfied).toBe(true);
    expect(probe.reason).toContain(
      "`mudanza rollback '/plans/web 1.yaml'` can still return to them; `mudanza checkpoints '/plans/web 1.yaml' --delete` removes them",
    );
    expect(probe.reason).not.toContain("PLAN");
    // ...and the migration's pipeline gives it the plan it was built from
    const last = buildOpenvzToKvm(plan, "/plans/web1.yaml").steps.at(-1)!;
    expect(last.id).toBe("delete-checkpoints");
    expect((await last.probe(ctx)).reason).toContain("`mudanza rollback /plans/web1.yaml` can still return to them");
  });
});
