import { describe, expect, it } from "vitest";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { dbFreeze } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate, words } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";

// New-user trial 9, finding 4: status tells since when a killed freeze left the databases stopped from the stop's
// recorded time; a run killed while the stop ran (MariaDB flushing) had recorded none, only the step's start.
describe("the time db-freeze stopped the source's databases", () => {
  it("is in the journal while the stop runs, not only once it returned", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { maxLivePasses: 1 });
    const state = simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passBytes: [0] });
    const { ctx, facts } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    // What a kill -9 during the stop would leave: the facts as the stop is sent.
    const atStop: unknown[] = [];
    let sentAt = 0;
    source.on(
      /^systemctl stop /,
      (command) => {
        sentAt = Date.now();
        atStop.push(structuredClone(facts["databases"]));
        for (const u of words(command)
          .slice(2)
          .filter((w) => w !== "--"))
          state.units.source.set(u, false);
        return {};
      },
      { mutates: true },
    );
    const before = Date.now();
    await dbFreeze.run(ctx, (await dbFreeze.probe(ctx)).plan);
    expect(atStop).toHaveLength(1);
    const stoppedAt = (atStop[0] as { stoppedAt?: string }).stoppedAt;
    expect(stoppedAt).toBeDefined();
    expect(Date.parse(stoppedAt!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(stoppedAt!)).toBeLessThanOrEqual(sentAt);
    // The step's own record keeps that time, and the window it measured ends with the source's start.
    const record = facts["databases"] as { stoppedAt: string; startedOnSourceAt: string };
    expect(record.stoppedAt).toBe(stoppedAt);
    expect(Date.parse(record.startedOnSourceAt)).toBeGreaterThanOrEqual(sentAt);
  });
});
