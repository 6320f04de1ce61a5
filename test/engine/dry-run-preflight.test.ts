import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { showUnits } from "../../src/steps/services/units.js";
import { systemctlError } from "../../src/steps/services/systemctl-error.js";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline } from "../../src/engine/runner.js";
import { defineStep, type Pipeline, type Step } from "../../src/engine/step.js";
import { Journal } from "../../src/journal/journal.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A step whose probe waits `ms` (a slow host) and plans its id, or what `reads(ctx)` returns. */
function slowStep(id: string, ms: number, started: string[], reads?: Step<unknown, string>): Step<unknown, string> {
  return defineStep<unknown, string>({
    id,
    title: id,
    destructive: false,
    async probe(ctx) {
      started.push(id);
      await pause(ms);
      started.push(`${id} done`);
      const plan = reads ? `${id} saw ${ctx.probedPlan(reads) ?? "nothing"}` : id;
      return { satisfied: false, findings: [], plan, details: [plan] };
    },
    commands: () => [],
    run: async () => undefined,
    verify: async () => ({ ok: true, checks: [] }),
  });
}

async function dryRun(pipeline: Pipeline) {
  const stateDir = await mkdtemp(join(tmpdir(), "mudanza-preflight-"));
  dirs.push(stateDir);
  const journal = await Journal.open({
    stateDir,
    migrationId: "preflight",
    kind: "demo",
    planPath: "demo.yaml",
    planHash: "hash-1",
    readOnly: true,
  });
  const events: PipelineEvent[] = [];
  const outcome = await runPipeline({
    pipeline,
    plan: {},
    hosts: {},
    journal,
    mode: "dry-run",
    sink: (e) => events.push(e),
  });
  return { outcome, events };
}

describe("a dry run's preflight", () => {
  it("starts every probe at once and reports them in step order", async () => {
    const started: string[] = [];
    const first = slowStep("first", 60, started);
    const steps = [first, slowStep("second", 5, started), slowStep("third", 30, started)];
    const { outcome, events } = await dryRun({ kind: "demo", title: "demo", steps });
    // all three began before the first ended: they ran side by side
    expect(started).toEqual(["first", "second", "third", "second done", "third done", "first done"]);
    expect(
      events.filter((e) => e.type === "step-start" || e.type === "step-probed").map((e) => `${e.type} ${e.stepId}`),
    ).toEqual([
      "step-start first",
      "step-probed first",
      "step-start second",
      "step-probed second",
      "step-start third",
      "step-probed third",
    ]);
    expect(outcome.probes.second?.details).toEqual(["second"]);
  });

  it("a probe that read an earlier probe's plan before it was there probes again and sees it", async () => {
    const started: string[] = [];
    const first = slowStep("first", 40, started);
    const second = slowStep("second", 1, started, first);
    // third reads second's plan once second is done, but second's own answer was made too early
    const third = slowStep("third", 20, started, second);
    const { outcome, events } = await dryRun({ kind: "demo", title: "demo", steps: [first, second, third] });
    expect(outcome.probes.second?.details).toEqual(["second saw first"]);
    expect(outcome.probes.third?.details).toEqual(["third saw second saw first"]);
    // each reported once, the answers given too early never shown
    const probed = events.filter((e) => e.type === "step-probed");
    expect(probed.map((e) => e.stepId)).toEqual(["first", "second", "third"]);
  });
  it("a probe that cannot answer is a blocker every face hears of, multi-line message kept under its item on stderr", async () => {
    const { createQuietRenderer } = await import("../../src/render/quiet.js");
    const { Writable } = await import("node:stream");
    let stderr = "";
    const out = new Writable({ write: (chunk: Buffer, _e, done) => ((stderr += chunk.toString()), done()) });
    const quiet = createQuietRenderer(out);
    const failing = defineStep<unknown, string>({
      id: "failing",
      title: "Failing check",
      destructive: false,
      probe: async () => {
        throw new Error("System has not been booted with systemd\nFailed to connect to bus");
      },
      commands: () => [],
      run: async () => undefined,
      verify: async () => ({ ok: true, checks: [] }),
    });
    const { outcome, events } = await dryRun({
      kind: "demo",
      title: "demo",
      steps: [slowStep("fine", 1, []), failing],
    });
    events.forEach((e) => quiet.sink(e));
    expect(outcome.status).toBe("blocked");
    const probed = events.find((e) => e.type === "step-probed" && e.stepId === "failing");
    expect(probed).toMatchObject({ satisfied: false, findings: [{ title: "cannot check failing", blocks: true }] });
    expect(stderr).toBe(
      "blocked, nothing was changed:\n  ✖ cannot check failing: System has not been booted with systemd\n    Failed to connect to bus\n",
    );
  });

  it("a systemctl that finds no systemd is named as such, and its blocker says what to do (found by a new-user trial)", async () => {
    // What systemctl prints in a container whose PID 1 is not systemd (seen in the trial's source).
    const stderr =
      "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n";
    const host = new ScriptedHost("source");
    host.on(/^systemctl show /, { code: 1, stderr });
    const failing = defineStep<unknown, string>({
      id: "services",
      title: "Services",
      destructive: false,
      probe: async () => {
        await showUnits(host, ["mariadb.service"]);
        return { satisfied: true, plan: "", findings: [] };
      },
      commands: () => [],
      run: async () => undefined,
      verify: async () => ({ ok: true, checks: [] }),
    });
    const { outcome } = await dryRun({ kind: "demo", title: "demo", steps: [failing] });
    expect(outcome.status).toBe("blocked");
    const [finding] = outcome.probes.services!.findings;
    expect(finding?.summary).toMatch(
      /^the source does not run systemd \(systemctl show on source exited 1: System has not been booted/,
    );
    expect(finding?.remediation).toMatch(/^mudanza checks and stops services through systemd: .*upgrade a sysvinit/);
    // Any other failure stays as it was, without a made-up fix.
    expect(
      systemctlError("systemctl show", "source", { code: 1, stderr: "Unit name x is not valid." }),
    ).not.toHaveProperty("remediation");
  });
});
