import { describe, expect, it } from "vitest";
import { FACTS_AFTER } from "../../src/steps/rollback/context.js";
import { FACT } from "../../src/steps/openvz-to-kvm/facts.js";

describe("what a rollback forgets", () => {
  it("the work after the copy's checkpoint, including facts added after the rollback was written (the pre-reboot check)", () => {
    expect(FACTS_AFTER["before-copy"]).toEqual(
      expect.arrayContaining(["syncPasses", "databases", "kernelInstall", FACT.preRebootCheck, "reboot"]),
    );
    // What capture-target found before the copy is still true after the revert: the re-run does not capture again
    // (the cold run's rollback case lost the VM's package list, and restore-vm-packages then restored nothing).
    for (const captured of ["targetIdentity", "targetHostKeyFingerprints", "vmBeforeCopy", "targetPackages"])
      expect(FACTS_AFTER["before-copy"]).not.toContain(captured);
  });

  it("everything but the checkpoints for the checkpoint before the update", () => {
    expect(FACTS_AFTER["before-update"]).toEqual(Object.values(FACT).filter((k) => k !== "checkpoints"));
  });
});
