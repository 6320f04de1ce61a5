import { describe, expect, it } from "vitest";
import { targetKeysOnResume } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";

describe("host keys a resumed openvz-to-kvm run accepts from the target", () => {
  it("is the union of the target's own and the source's journaled fingerprints", () => {
    expect(
      targetKeysOnResume({ targetHostKeyFingerprints: ["SHA256:target1", "SHA256:shared"], sourceHostKeyFingerprints: ["SHA256:source1", "SHA256:shared"] }),
    ).toEqual({ target: ["SHA256:target1", "SHA256:shared", "SHA256:source1"] });
  });

  it("changes nothing before capture-target recorded both sets", () => {
    expect(targetKeysOnResume({})).toEqual({});
    expect(targetKeysOnResume({ targetHostKeyFingerprints: ["SHA256:t"] })).toEqual({});
    expect(targetKeysOnResume({ targetHostKeyFingerprints: ["SHA256:t"], sourceHostKeyFingerprints: [] })).toEqual({});
  });
});
