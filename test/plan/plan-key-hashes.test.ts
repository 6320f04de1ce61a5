import { describe, expect, it } from "vitest";
import { changedPlanKeys, planKeyHashes } from "../../src/plan/plan-key-hashes.js";

describe("the plan's settings, hashed one by one", () => {
  const plan = {
    kind: "openvz-to-kvm",
    source: { host: "198.18.10.31", port: 22 },
    options: { services: ["ssh", "mariadb"], network: { password: "hunter2", address: "198.18.20.5" } },
  };

  it("names each setting by its path; a list is one setting", () => {
    expect(Object.keys(planKeyHashes(plan)).sort()).toEqual([
      "kind",
      "options.network.address",
      "options.services",
      "source.host",
      "source.port",
    ]);
  });

  it("finds what was added, removed or changed, and nothing when nothing was", () => {
    const before = planKeyHashes(plan);
    expect(changedPlanKeys(before, planKeyHashes(structuredClone(plan)))).toEqual([]);
    const edited: { source: Record<string, unknown>; options: Record<string, unknown> & { services: string[] } } =
      structuredClone(plan);
    edited.source.host = "198.18.10.32";
    delete edited.source.port;
    edited.options.services.push("nginx");
    edited.options.cutover = true;
    expect(changedPlanKeys(before, planKeyHashes(edited))).toEqual([
      "options.cutover",
      "options.services",
      "source.host",
      "source.port",
    ]);
  });

  it("keeps no hash of a value that looks like a secret: a short password's hash can be guessed", () => {
    const hashes = planKeyHashes(plan);
    expect(Object.keys(hashes).some((key) => key.endsWith("password"))).toBe(false);
    const otherPassword = structuredClone(plan);
    otherPassword.options.network.password = "letmein";
    expect(planKeyHashes(otherPassword)).toEqual(hashes);
  });
});
