import { describe, expect, it } from "vitest";
import { FACTS_AFTER } from "../../src/steps/rollback/context.js";
import { checkpointFactSchema, FACT, OVZ_FACTS } from "../../src/steps/openvz-to-kvm/facts.js";

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

  it("keeps or drops every fact as its declaration says, and a later checkpoint keeps what an earlier one does", () => {
    const purposes = checkpointFactSchema.shape.purpose.options;
    for (const fact of Object.values(OVZ_FACTS)) {
      // a fact declared without its rollbacks (plain defineFact) would be dropped or kept by accident
      expect(Array.isArray(fact.keptByRollbackTo), `${fact.key} says which rollbacks keep it`).toBe(true);
      for (const purpose of fact.keptByRollbackTo) expect(purposes, fact.key).toContain(purpose);
      // the copy's checkpoint is taken after the update's: what is still true at the earlier one is at the later one
      if (fact.keptByRollbackTo.includes("before-update"))
        expect(fact.keptByRollbackTo, fact.key).toContain("before-copy");
      for (const purpose of purposes)
        expect(FACTS_AFTER[purpose].includes(fact.key), `${fact.key} after ${purpose}`).toBe(
          !fact.keptByRollbackTo.includes(purpose),
        );
    }
  });
});
