import { describe, expect, it } from "vitest";
import { FACTS_AFTER } from "../../src/steps/rollback/context.js";
import { FACT } from "../../src/steps/openvz-to-kvm/facts.js";

describe("what a rollback forgets", () => {
  it("the work after the copy's checkpoint, including facts added after the rollback was written (the pre-reboot check)", () => {
    expect(FACTS_AFTER["before-copy"]).toEqual(
      expect.arrayContaining(["syncPasses", "databases", "kernelInstall", FACT.preRebootCheck, "reboot"]),
    );
    expect(FACTS_AFTER["before-copy"]).not.toContain("targetIdentity"); // found before the copy, still true after the revert
  });

  it("everything but the checkpoints for the checkpoint before the update", () => {
    expect(FACTS_AFTER["before-update"]).toEqual(Object.values(FACT).filter((k) => k !== "checkpoints"));
  });
});
