import { describe, expect, it } from "vitest";
import { labUpLine } from "../../src/lab/up-line.js";
import { LAB_NET } from "../../src/lab/recipe.js";

describe("the lab's line once it is up (new-user trial 9, finding 9)", () => {
  it("says where the hosts are and what they are, without the variant's internal name", () => {
    const line = labUpLine("kind", 42);
    expect(line).toBe(
      `lab up in 42 s: source ${LAB_NET.sourceAddress} (container), target 127.0.0.1:${LAB_NET.vmSshPortLoopback} (VM)`,
    );
    expect(labUpLine("minimal", 7)).toContain("(minimal container), target 127.0.0.1:");
    expect(labUpLine("minimal", 7)).toContain("(VM on DHCP)");
    expect(line + labUpLine("minimal", 7)).not.toContain("kind");
  });
});
