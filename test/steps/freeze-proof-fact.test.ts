import { describe, expect, it } from "vitest";
import { FactShapeError, readFact } from "../../src/engine/facts.js";
import { OVZ_FACTS } from "../../src/steps/openvz-to-kvm/facts.js";

const proof = {
  seconds: 5.8,
  differences: 8,
  sinceFreeze: 5,
  repaired: ["root/.ssh/"],
  repairedCount: 1,
  staleInDatabases: [],
  firstWindowSec: 7.7,
};
const facts = (value: unknown) => ({ [OVZ_FACTS.freezeProof.key]: value });

describe("the freezeProof fact", () => {
  it("reads a journal of the version before `redo` (redone: boolean), so its migration resumes", () => {
    expect(readFact(facts({ ...proof, redone: true }), OVZ_FACTS.freezeProof)?.redo).toBe("done");
    expect(readFact(facts({ ...proof, redone: false }), OVZ_FACTS.freezeProof)?.redo).toBe("not needed");
  });
  it("keeps what this version writes, and still refuses a shape neither version wrote", () => {
    expect(readFact(facts({ ...proof, redo: "under way" }), OVZ_FACTS.freezeProof)?.redo).toBe("under way");
    expect(() => readFact(facts({ ...proof }), OVZ_FACTS.freezeProof)).toThrow(FactShapeError);
    expect(() => readFact(facts({ ...proof, redo: "maybe" }), OVZ_FACTS.freezeProof)).toThrow(FactShapeError);
  });
});
