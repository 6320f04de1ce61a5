import { describe, expect, it } from "vitest";
import { buildOpenvzToKvm, targetKeysOnResume } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";
import { parsePlan } from "../../../src/plan/load.js";
import type { PlanOf } from "../../../src/plan/schema.js";

describe("host keys a resumed openvz-to-kvm run accepts from the target", () => {
  it("is the union of the target's own and the source's journaled fingerprints", () => {
    expect(
      targetKeysOnResume({
        targetHostKeyFingerprints: ["SHA256:target1", "SHA256:shared"],
        sourceHostKeyFingerprints: ["SHA256:source1", "SHA256:shared"],
      }),
    ).toEqual({ target: ["SHA256:target1", "SHA256:shared", "SHA256:source1"] });
  });

  it("changes nothing before capture-target recorded both sets", () => {
    expect(targetKeysOnResume({})).toEqual({});
    expect(targetKeysOnResume({ targetHostKeyFingerprints: ["SHA256:t"] })).toEqual({});
    expect(targetKeysOnResume({ targetHostKeyFingerprints: ["SHA256:t"], sourceHostKeyFingerprints: [] })).toEqual({});
  });

  it("with target.hostKey pinned, accepts the pin or the source's keys, never other journaled ones", () => {
    const facts = {
      targetHostKeyFingerprints: ["SHA256:journaled-target"],
      sourceHostKeyFingerprints: ["SHA256:source1"],
    };
    expect(targetKeysOnResume(facts, "SHA256:pinned")).toEqual({ target: ["SHA256:pinned", "SHA256:source1"] });
  });

  it("the pipeline built from a plan with a pin uses it", () => {
    const pin = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    const { plan } = parsePlan(
      `kind: openvz-to-kvm\nsource: {host: old.example.org}\ntarget: {host: new.example.org, hostKey: "${pin}"}\n`,
      "/p/web1.yaml",
    );
    const pipeline = buildOpenvzToKvm(plan as PlanOf<"openvz-to-kvm">);
    expect(
      pipeline.expectedHostKeys?.({
        targetHostKeyFingerprints: ["SHA256:other"],
        sourceHostKeyFingerprints: ["SHA256:source1"],
      }),
    ).toEqual({ target: [pin, "SHA256:source1"] });
  });
});
