import { describe, expect, it } from "vitest";
import { loadPair, PAIRS, runOvz } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import { DONE_EARLIER } from "../../src/engine/done-earlier.js";

/**
 * The runner re-verifies done steps on resume and redoes a step whose verify fails, with every step
 * after it. After a cutover that must stop at the copy's probe (exit 3), not copy the stopped source's
 * older files over the target that has run as production since.
 */
describe("a resumed run after a finished cutover", () => {
  it("stops with exit 3 before any new pass when the copy's verify fails", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 2, cutover: true });
    const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [500_000, 0] });
    const first = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(first.outcome)).toBe(0);
    const passes = state.passes.length;
    // Something changed the target's machine-id since: the copy's verify fails on the next run.
    target.putFile("/etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    const again = await runOvz(plan, { source, target }, "yes", first.stateDir);
    expect(exitCodeForRun(again.outcome)).toBe(3);
    expect(again.outcome.message).toMatch(/Cutover already done/);
    expect(state.passes).toHaveLength(passes);
    expect(state.units.target.get("mariadb.service")).toBe(true);
  });

  it("a dry run then shows what the run does: every step done and verified again, not the copy's blocker (review)", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 2, cutover: true });
    simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [500_000, 0] });
    const first = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(first.outcome)).toBe(0);
    const dry = await runOvz(plan, { source, target }, "dry-run", first.stateDir);
    expect(dry.outcome.status, dry.outcome.message).toBe("dry-run");
    expect(dry.outcome.probes.rsync).toMatchObject({ satisfied: true, reason: DONE_EARLIER, findings: [] });
    const again = await runOvz(plan, { source, target }, "yes", first.stateDir);
    expect(exitCodeForRun(again.outcome)).toBe(0);
    expect(again.events).toContainEqual(
      expect.objectContaining({ type: "step-end", stepId: "rsync", status: "skipped", message: DONE_EARLIER }),
    );
  });
});
