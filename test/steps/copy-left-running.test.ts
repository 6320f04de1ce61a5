import { describe, expect, it } from "vitest";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { RSYNC_LOCK } from "../../src/steps/openvz-to-kvm/sync.js";
import { lockHoldersCommand } from "../../src/steps/rsync/lock.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

/** The Debian pair after a first copy, as a run killed in its next pass leaves it: the key and the lock in place. */
async function copiedOnce() {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1 });
  simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [0] });
  const { ctx } = stepContext(plan, { source, target });
  await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
  await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
  return { ctx, source };
}

// New-user trial 9, finding 5: after a kill in the copy the dry run said nothing of the rsync still copying.
describe("the copy's probe and an rsync a killed run left on the source", () => {
  it("names it by pid as a finding, and that the run stops it; it stops nothing itself", async () => {
    const { ctx, source } = await copiedOnce();
    source.putFile(`${RSYNC_LOCK}.pid`, "8318 0123abcd\n");
    source.on(lockHoldersCommand(RSYNC_LOCK), { stdout: "8318\n" });
    const before = source.log.length;
    const probe = await rsyncStep.probe(ctx);
    const left = probe.findings.find((f) => f.title === "A copy is still running on the source");
    expect(left).toMatchObject({ blocks: false, host: "source" });
    expect(left?.summary).toContain(`rsync (pid 8318) still holds ${RSYNC_LOCK} and copies onto the target`);
    expect(left?.summary).toContain("`mudanza run` stops it before its first pass");
    expect(left?.remediation).toContain("kill 8318");
    expect(probe.details?.join("\n")).toMatch(
      /would send .*\(counted while the rsync an earlier run left still copies/,
    );
    const asked = source.log
      .slice(before)
      .filter((e) => e.kind === "exec")
      .map((e) => (e as { command: string }).command);
    expect(asked).toContain(lockHoldersCommand(RSYNC_LOCK));
    expect(asked.filter((c) => /\bkill\b/.test(c))).toEqual([]);
  });

  it("says nothing when the pass that held the lock has ended, or none ever ran", async () => {
    const { ctx, source } = await copiedOnce();
    const titles = async () => (await rsyncStep.probe(ctx)).findings.map((f) => f.title);
    expect(await titles()).not.toContain("A copy is still running on the source");
    source.putFile(`${RSYNC_LOCK}.pid`, "8318 0123abcd\n");
    source.on(lockHoldersCommand(RSYNC_LOCK), { stdout: "" });
    expect(await titles()).not.toContain("A copy is still running on the source");
  });
});
