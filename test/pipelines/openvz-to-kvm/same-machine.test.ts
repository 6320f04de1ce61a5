import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { writeLabPlan } from "../../../src/lab/plan-file.js";
import { buildOpenvzToKvm } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";
import { loadPlan } from "../../../src/plan/load.js";
import { collectDryRun, renderDryRunMarkdown } from "../../../src/report/dry-run-report.js";
import { targetFromSource } from "../../../src/steps/openvz-to-kvm/plan.js";
import { isLoopbackAddress, sameMachineFindings } from "../../../src/steps/openvz-to-kvm/same-machine.js";
import { loadPair, PAIRS, runOvz, type OvzPlan } from "./harness.js";

const SAME = "Source and target are the same machine";
const SELF_PUSH = "The source would push to itself";
const KEY = "SHA256:bW9ja2hvc3RrZXlvbmVtb2NraG9zdGtleW9uZW1vY2s";

async function dryRun(options: Partial<OvzPlan["options"]>, keys: { source?: string; target?: string }) {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, options);
  source.hostKeyFingerprint = keys.source;
  target.hostKeyFingerprint = keys.target;
  const result = await runOvz(plan, { source, target }, "dry-run");
  await rm(result.stateDir, { recursive: true, force: true });
  const mutations = [...source.mutations, ...target.mutations];
  return { plan, outcome: result.outcome, mutations };
}

describe("a plan whose target is the source itself is blocked before anything changes", () => {
  it("both connections verified the same host key: a blocker no plan can acknowledge, shown with its fix", async () => {
    const { plan, outcome, mutations } = await dryRun({}, { source: KEY, target: KEY });
    expect(mutations).toEqual([]);
    expect(outcome.status).toBe("blocked");
    expect(exitCodeForRun(outcome)).toBe(3);
    const finding = outcome.findings.find((f) => f.title === SAME);
    expect(finding).toMatchObject({ blocks: true, severity: "error" });
    expect(finding?.id).toBeUndefined();
    expect(finding?.summary).toContain(KEY);
    const markdown = renderDryRunMarkdown(
      collectDryRun(buildOpenvzToKvm(plan) as never, { source: "s", target: "t" }, outcome.probes, outcome.skipped),
    );
    expect(markdown).toContain(`**${SAME}**`);
    expect(markdown).toMatch(/Fix: point the plan's target at the new VM/);
    // two machines cloned from one image share host keys: the way out is new keys on the target
    expect(finding?.remediation).toContain("ssh-keygen -A");
  });

  it("different keys, or a key unknown on either side (scripted and local hosts), say nothing", async () => {
    for (const keys of [{ source: KEY, target: `${KEY}x` }, { source: KEY }, { target: KEY }, {}]) {
      const { outcome } = await dryRun({}, keys);
      expect(outcome.findings.map((f) => f.title)).not.toContain(SAME);
    }
  });

  it("the source pushing to a loopback address is a blocker on the source naming the plan option to set", async () => {
    for (const address of ["127.0.0.1", "127.3.2.1", "localhost", "::1"]) {
      const { outcome, mutations } = await dryRun({ targetAddressFromSource: address }, {});
      expect(mutations).toEqual([]);
      expect(outcome.status).toBe("blocked");
      const finding = outcome.findings.find((f) => f.title === SELF_PUSH);
      expect(finding).toMatchObject({ blocks: true, host: "source" });
      expect(finding?.id).toBeUndefined();
      expect(finding?.remediation).toMatch(/targetAddressFromSource/);
    }
    const routed = await dryRun({ targetAddressFromSource: "198.18.1.1" }, {});
    expect(routed.outcome.findings.map((f) => f.title)).not.toContain(SELF_PUSH);
  });

  it("the fixture plans dry-run exactly as before: neither blocker", async () => {
    const { outcome } = await dryRun({}, {});
    expect(outcome.status).toBe("dry-run");
  });

  it("loopback means 127.0.0.0/8, ::1 and localhost in their spellings, nothing else", () => {
    for (const a of ["127.0.0.1", "127.255.0.9", "localhost", "LOCALHOST.", "db.localhost", "::1", "[::1]", "0:0::1"])
      expect(isLoopbackAddress(a), a).toBe(true);
    expect(isLoopbackAddress("::ffff:127.0.0.1")).toBe(true);
    for (const a of ["198.18.1.1", "128.0.0.1", "localhost.example.org", "::", "::2", "::ffff:198.18.0.1", "vm1"])
      expect(isLoopbackAddress(a), a).toBe(false);
  });

  it("the lab's plan (the tool reaches the VM on 127.0.0.1, the container pushes to the host's veth address) is not blocked", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-lab-plan-"));
    try {
      const planPath = join(dir, "plan.yaml");
      await writeLabPlan({
        planPath,
        knownHostsFile: join(dir, "known_hosts"),
        identityFile: join(dir, "id"),
        sourceHostKeys: [],
        targetHostKeys: [],
      });
      const plan = (await loadPlan(planPath)).plan as OvzPlan;
      expect(plan.target.host).toBe("127.0.0.1");
      const { source, target } = await loadPair(PAIRS.debian.plan);
      source.hostKeyFingerprint = KEY;
      target.hostKeyFingerprint = `${KEY}x`;
      expect(sameMachineFindings(source, target, targetFromSource(plan), false)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("after the copy the target presents the source's keys by design: same keys then say nothing", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan);
    source.hostKeyFingerprint = KEY;
    target.hostKeyFingerprint = KEY;
    expect(sameMachineFindings(source, target, targetFromSource(plan), true)).toEqual([]);
    expect(sameMachineFindings(source, target, targetFromSource(plan), false).map((f) => f.title)).toEqual([SAME]);
  });
});
