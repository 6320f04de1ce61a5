import { describe, expect, it } from "vitest";
import { FACT } from "../../src/steps/openvz-to-kvm/plan.js";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { cutover } from "../../src/steps/openvz-to-kvm/cutover.js";
import { dbFreeze, type DatabaseFact } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { stepContext } from "./context.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";

/**
 * After a cutover the target is production: its databases take writes the stopped source never sees.
 * A resumed run that redoes the copy (a done step's verify failing re-runs it and all after it) must
 * not pour the source's older files over them.
 */
describe("no copy after a cutover", () => {
  async function cutOver() {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1, cutover: true });
    const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [0] });
    const { ctx, facts } = stepContext(plan, { source, target });
    await captureTarget.run(ctx, (await captureTarget.probe(ctx)).plan);
    await rsyncStep.run(ctx, (await rsyncStep.probe(ctx)).plan);
    await dbFreeze.run(ctx, (await dbFreeze.probe(ctx)).plan);
    // the pipeline's last step, after the reboot verification (not needed by these checks)
    await cutover.run(ctx, (await cutover.probe(ctx)).plan);
    return { ctx, facts, state, source, target };
  }

  it("the cutover step records when the cutover finished; the source's database stays stopped", async () => {
    const { facts, state } = await cutOver();
    expect((facts[FACT.databases] as DatabaseFact).cutoverAt).toMatch(/^\d{4}-/);
    expect(state.units.source.get("mariadb.service")).toBe(false);
    expect(state.units.target.get("mariadb.service")).toBe(true);
  });

  it("the copy step blocks, and a pass refuses to run", async () => {
    const { ctx, state } = await cutOver();
    const passes = state.passes.length;
    const probe = await rsyncStep.probe(ctx);
    expect(probe.findings.filter((f) => f.blocks).map((f) => f.title)).toContain("Cutover already done");
    await expect(rsyncStep.run(ctx, probe.plan)).rejects.toThrow(/refusing a live pass: the cutover finished/);
    expect(state.passes).toHaveLength(passes);
  });

  it("db-freeze run again (interrupted while removing the key) only removes the key: no final pass over the running target", async () => {
    const { ctx, facts, state, source } = await cutOver();
    const passes = state.passes.length;
    delete facts[FACT.freezeWindowSec];
    await dbFreeze.run(ctx, (await dbFreeze.probe(ctx)).plan);
    expect(state.passes).toHaveLength(passes);
    expect(state.units.target.get("mariadb.service")).toBe(true);
    expect(state.units.source.get("mariadb.service")).toBe(false);
    expect([...source.files.keys()].some((p) => p.startsWith("/root/.mudanza-migrate"))).toBe(false);
    expect((await dbFreeze.verify(ctx)).ok).toBe(true);
  });
});

describe("db-freeze's title", () => {
  const titleWith = async (cutover: boolean) => {
    const { plan } = await loadPair(PAIRS.debian.plan, { cutover });
    return buildOpenvzToKvm(plan).steps.find((s) => s.id === "db-freeze")?.title;
  };

  it("under a cutover says the databases start on the target only, not 'start them again' (found by a new-user trial)", async () => {
    expect(await titleWith(true)).toBe(
      "Stop the databases, final copy, start them on the target only (the source's stay stopped)",
    );
    expect(await titleWith(false)).toBe("Stop the databases, final copy, start them again");
  });
});

describe("db-freeze's plan after a cutover", () => {
  it("shows only the key removal", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { cutover: true });
    const { ctx } = stepContext(
      plan,
      { source, target },
      {
        [FACT.databases]: {
          units: ["mariadb.service"],
          leftStoppedOnSource: true,
          cutoverAt: "2026-11-23T11:00:00.000Z",
        },
      },
    );
    const probe = await dbFreeze.probe(ctx);
    expect(probe.commands.map((c) => c.command).join("\n")).not.toMatch(/rsync|systemctl/);
    expect(probe.details?.join("\n")).toMatch(/cutover finished at 2026-11-23T11:00:00.000Z/);
  });
});
