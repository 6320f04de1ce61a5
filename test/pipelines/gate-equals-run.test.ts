import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runPipeline } from "../../src/engine/runner.js";
import { defineStep, type Pipeline, type Step } from "../../src/engine/step.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { Journal } from "../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";
import type { VsPlan } from "../../src/steps/vserver-to-openvz/context.js";
import { buildVserverToOpenvz } from "../../src/pipelines/vserver-to-openvz/pipeline.js";
import { compareForHost, recordGateAndRun, type StepRecord } from "./gate-run-record.js";
import { loadPair, PAIRS } from "./openvz-to-kvm/harness.js";
import { simulate } from "./openvz-to-kvm/simulate.js";
import { FREEZE_MARK, markCommand } from "../../src/steps/rsync/changed-since.js";
import { webWorld } from "./vserver-to-openvz/scripted-world.js";
import { worldPlan } from "./vserver-to-openvz/run-world.js";

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A --yes run of `pipeline` on scripted hosts, recording what each gate showed and what each run did. */
async function runRecorded<Plan>(
  pipeline: Pipeline<Plan>,
  plan: Plan,
  hosts: Record<string, ScriptedHost>,
): Promise<Map<string, StepRecord> & { skipped: string[] }> {
  const stateDir = await mkdtemp(join(tmpdir(), "mudanza-gate-"));
  temps.push(stateDir);
  const { sink, steps } = recordGateAndRun(hosts);
  const journal = await Journal.open({
    stateDir,
    migrationId: "gate",
    kind: pipeline.kind,
    planPath: "plan.yaml",
    planHash: "h",
    readOnly: false,
  });
  let skipped: string[] = [];
  try {
    const outcome = await runPipeline({ pipeline, plan, hosts, journal, mode: "yes", sink });
    expect(outcome.message).toBeUndefined();
    expect(outcome.status).toBe("done");
    skipped = Object.keys(outcome.skipped);
  } finally {
    await journal.close();
  }
  return Object.assign(steps, { skipped });
}

/** Every step that ran: per host, what it executed equals what its gate displayed (read-only checks aside). */
function mismatches(steps: Map<string, StepRecord>, roles: string[]): string[] {
  const out: string[] = [];
  for (const [stepId, record] of steps) {
    for (const role of roles) {
      const { displayed, ran } = compareForHost(record, role);
      if (JSON.stringify(displayed) !== JSON.stringify(ran))
        out.push(`${stepId} on ${role}:\n  displayed ${JSON.stringify(displayed)}\n  ran       ${JSON.stringify(ran)}`);
    }
  }
  return out;
}

describe("what the gate displayed is what run executed, for every step", () => {
  it.each(Object.entries(PAIRS))("openvz-to-kvm on the scripted %s pair", async (_name, pair) => {
    // cutover: true, so that every step runs (the cutover step is skipped without it).
    const { plan, source, target } = await loadPair(pair.plan, { maxLivePasses: 3, cutover: true });
    simulate(source, target, {
      family: pair.family,
      kernel: pair.kernel,
      passBytes: [900_000_000, 40_000_000, 52_000_000],
    });
    const steps = await runRecorded(buildOpenvzToKvm(plan), plan, { source, target });
    // Every step the plan does not skip (without checkpoints, the checkpoint steps and delete-checkpoints have nothing to do).
    expect(steps.skipped).toEqual(["checkpoint-before-update", "checkpoint-before-copy", "delete-checkpoints"]);
    expect([...steps.keys()]).toEqual(
      buildOpenvzToKvm(plan)
        .steps.map((s) => s.id)
        .filter((id) => !steps.skipped.includes(id)),
    );
    expect(mismatches(steps, ["source", "target"])).toEqual([]);
  });

  it("openvz-to-kvm's short final pass, its proof and the repair after the thaw (no cutover)", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 2 });
    source.putDir("/var/lib/mysql", 0o700);
    const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [9, 4] });
    // A file changed after the live passes that the list misses: the proof's repair copies it.
    state.shortFreeze.hiddenFromList.add("/etc/motd");
    // Changed before the freeze mark (the simulated mark records the source's files as they are then), so
    // the proof dates it before the freeze.
    const mark = source.rules.find((r) => r.match === markCommand(FREEZE_MARK))!.reply;
    if (typeof mark !== "function") throw new Error("simulate() has no freeze-mark rule");
    source.on(
      markCommand(FREEZE_MARK),
      (command, h, options) => {
        h.putFile("/etc/motd", "changed after the live passes\n");
        return mark(command, h, options);
      },
      { mutates: true },
    );
    const steps = await runRecorded(buildOpenvzToKvm(plan), plan, { source, target });
    expect([...steps.keys()]).toContain("db-freeze");
    expect(target.files.get("/etc/motd")?.content).toBe("changed after the live passes\n");
    expect(mismatches(steps, ["source", "target"])).toEqual([]);
  });

  it("vserver-to-openvz on the scripted web1 guest and OpenVZ node", async () => {
    const world = await webWorld();
    const plan = worldPlan();
    const steps = await runRecorded(buildVserverToOpenvz(plan), plan, { source: world.source, target: world.target });
    expect([...steps.keys()]).toEqual(buildVserverToOpenvz(plan).steps.map((s) => s.id));
    expect(mismatches(steps, ["source", "target"])).toEqual([]);
  });

  it("fails when a step's run executes a command its plan did not show", async () => {
    const world = await webWorld();
    world.target.on("touch /vz/private/1001/.unplanned", {}, { mutates: true });
    const plan = worldPlan();
    const pipeline = buildVserverToOpenvz(plan);
    const sneaky = (step: Step<VsPlan>): Step<VsPlan> =>
      defineStep<VsPlan, unknown>({
        ...step,
        probe: async (ctx) => {
          const { commands: _shown, ...probed } = await step.probe(ctx);
          return probed;
        },
        async run(ctx, stepPlan) {
          await step.run(ctx, stepPlan);
          await ctx.host("target").exec("touch /vz/private/1001/.unplanned");
        },
      });
    pipeline.steps = pipeline.steps.map((s) => (s.id === "write-ctid-conf" ? sneaky(s) : s));
    const steps = await runRecorded(pipeline, plan, { source: world.source, target: world.target });
    const found = mismatches(steps, ["source", "target"]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^write-ctid-conf on target:[\s\S]*touch \/vz\/private\/1001\/\.unplanned/);
  });
});
