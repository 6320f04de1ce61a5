import { describe, expect, it } from "vitest";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { RSYNC_PASS } from "../support/locked-rsync.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

const SOURCE_ADMIN = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHt0Ym9hcmRzb3VyY2VhZG1pbmtleWZvcnRlc3RpbmcxMjM0 ops@source";
const keysOn = (host: { files: Map<string, { content: string }> }): string[] =>
  (host.files.get("/root/.ssh/authorized_keys")?.content ?? "").split("\n").filter(Boolean);

/** The tool reaches the target with root's keys there: no pass, finished or cut short, may take them away. */
describe("the tool's own access to the target across the copy", () => {
  async function setup(passCodes: number[]) {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { maxLivePasses: 1 });
    // The source's admins use another key than the one the tool reaches the target with.
    source.putFile("/root/.ssh/authorized_keys", `${SOURCE_ADMIN}\n`, { mode: 0o600 });
    simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passCodes });
    const { ctx } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    return { ctx, source, target };
  }

  it("a pass that dies after copying most files leaves the target's root keys in place", async () => {
    const { ctx, target } = await setup([12]);
    await expect(rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan)).rejects.toThrow(/exit 12/);
    expect(keysOn(target).some((k) => k.endsWith("admin@workstation"))).toBe(true);
  });

  it("the rsync command excludes root's authorized_keys, anchored at the root", async () => {
    const { ctx } = await setup([0]);
    const probe = await rsyncStep.probe(ctx);
    expect(probe.commands.find((c) => RSYNC_PASS.test(c.command))?.command).toContain(
      "--exclude=/root/.ssh/authorized_keys ",
    );
  });

  it("after a pass the target holds its own keys and the source's, once each", async () => {
    const { ctx, target } = await setup([0, 0]);
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    const keys = keysOn(target);
    expect(keys.filter((k) => k.endsWith("admin@workstation"))).toHaveLength(1);
    expect(keys.filter((k) => k === SOURCE_ADMIN)).toHaveLength(1);
  });
});

describe("the target login the copy must not take away", () => {
  it("a plan reaching the target as a non-root sudo user is blocked before anything changes; root is not", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan);
    const sudoPlan = {
      ...plan,
      target: { ...plan.target, transport: "ssh" as const, host: "198.18.20.10", user: "admin", sudo: true },
    };
    const blocked = await rsyncStep.probe(stepContext(sudoPlan, { source, target }).ctx);
    expect(blocked.findings.filter((f) => f.blocks).map((f) => f.title)).toEqual(["Target reached as a non-root user"]);
    const rootPlan = {
      ...plan,
      target: { ...plan.target, transport: "ssh" as const, host: "198.18.20.10", user: "root", sudo: false },
    };
    const fine = await rsyncStep.probe(stepContext(rootPlan, { source, target }).ctx);
    expect(fine.findings.filter((f) => f.blocks)).toEqual([]);
    expect(target.mutations).toEqual([]);
  });
});
