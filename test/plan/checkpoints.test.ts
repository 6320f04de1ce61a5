import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkpointsSchema, commentedCheckpointLines } from "../../src/plan/checkpoints.js";
import { renderCommentedPlan } from "../../src/plan/commented-plan.js";

describe("plan: checkpoints section", () => {
  it("every backend the commented plan shows parses once uncommented", () => {
    const examples = commentedCheckpointLines()
      .map((line) => /^#\s+(\{ via: .*\})$/.exec(line)?.[1])
      .filter((e): e is string => e !== undefined);
    expect(examples).toHaveLength(5);
    for (const example of examples) {
      const value: unknown = parse(example);
      const side = ["qmp", "libvirt", "proxmox"].includes((value as { via: string }).via) ? "target" : "source";
      expect(checkpointsSchema.safeParse({ [side]: value }).success, example).toBe(true);
    }
  });

  it("the written openvz-to-kvm plan documents the section, the vserver one does not", () => {
    const endpoint = { host: "a.example.org", port: 22, user: "root" };
    expect(renderCommentedPlan({ kind: "openvz-to-kvm", source: endpoint, target: endpoint, options: {} })).toContain(
      "# checkpoints:",
    );
    expect(
      renderCommentedPlan({
        kind: "vserver-to-openvz",
        source: endpoint,
        target: endpoint,
        options: { guest: "g", ctid: 150 },
      }),
    ).not.toContain("checkpoints:");
  });

  it("a remote backend keeps the endpoint rules (a scripted one needs its fixture)", () => {
    const result = checkpointsSchema.safeParse({
      target: { via: "libvirt", host: "kvm1.example.org", domain: "web1", transport: "scripted" },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["target", "fixture"]);
  });
});
