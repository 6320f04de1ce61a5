import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline } from "../../src/engine/runner.js";
import { InterruptedError } from "../../src/errors.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { Journal } from "../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";
import { loadPair, PAIRS, type OvzPlan } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate, type SimOptions, type SimState } from "../pipelines/openvz-to-kvm/simulate.js";
import { RSYNC_PASS } from "../support/locked-rsync.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { recorder, type FaultRow } from "./matrix.js";

/**
 * The fault matrix on scripted OpenVZ -> KVM hosts (simulate.ts: the commands' effects on in-memory
 * trees): the migration key, the database freeze and its compensations. SIGINT and SIGTERM reach the
 * engine as an abort of the run's signal (drive-pipeline.ts), which is what these rows inject, at every
 * step boundary and inside the final pass; then a re-run ends where an uninterrupted run ends.
 */
const tempDir = useTempDirs();
const rows = recorder();
afterAll(() => rows.report());

const PAIR = PAIRS.debian;
const SIM: SimOptions = { family: PAIR.family, kernel: PAIR.kernel, passBytes: [900, 40, 52] };
const STEPS = [
  "pre-update",
  "release-match",
  "capture-target",
  "rsync",
  "db-freeze",
  "network-fixup",
  "kernel-install",
  "reboot-verify",
  "cutover",
] as const;
const KEY_COMMENT = "mudanza-migration-key";

interface World {
  plan: OvzPlan;
  source: ScriptedHost;
  target: ScriptedHost;
  state: SimState;
  stateDir: string;
}

async function world(sim: Partial<SimOptions> = {}): Promise<World> {
  const { plan, source, target } = await loadPair(PAIR.plan, { maxLivePasses: 3, cutover: true });
  const state = simulate(source, target, { ...SIM, ...sim });
  return { plan, source, target, state, stateDir: await tempDir("mudanza-fault-ovz-") };
}

/** Filled by run(): aborts it from inside a command. */
type Trigger = { abort?: (reason: InterruptedError) => void };

async function run(w: World, abortOn?: (event: PipelineEvent) => InterruptedError | null, trigger: Trigger = {}) {
  const controller = new AbortController();
  trigger.abort = (reason) => controller.abort(reason);
  const events: PipelineEvent[] = [];
  const journal = await Journal.open({
    stateDir: w.stateDir,
    migrationId: w.plan.name ?? "ovz",
    kind: w.plan.kind,
    planPath: "plan.yaml",
    planHash: "h",
  });
  try {
    const outcome = await runPipeline({
      pipeline: buildOpenvzToKvm(w.plan),
      plan: w.plan,
      hosts: { source: w.source, target: w.target },
      journal,
      mode: "yes",
      signal: controller.signal,
      sink: (event) => {
        events.push(event);
        const reason = abortOn?.(event);
        if (reason && !controller.signal.aborted) controller.abort(reason);
      },
    });
    return { outcome, events, compensations: (await Journal.read(journal.path))!.compensations };
  } finally {
    await journal.close();
  }
}

const hash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** Files of both hosts (backup folders' timestamps and boot ids aside), unit states, the key's traces. */
function finalState(w: World): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, host] of [
    ["source", w.source],
    ["target", w.target],
  ] as const) {
    for (const [path, file] of host.files) {
      if (path === "/proc/sys/kernel/random/boot_id") continue;
      out[`${role}:${path.replace(/^\/root\/mudanza-backup\/[^/]+/, "/root/mudanza-backup/<run>")}`] =
        `${file.type} ${file.mode.toString(8)} ${file.linkTarget ?? hash(file.content)}`;
    }
    for (const [unit, active] of w.state.units[role]) out[`${role} unit ${unit}`] = active ? "active" : "inactive";
  }
  return out;
}

/** The migration key is gone from both hosts and the key pair from the source. */
function expectKeyGone(w: World): void {
  for (const host of [w.source, w.target])
    expect(host.files.get("/root/.ssh/authorized_keys")?.content ?? "").not.toContain(KEY_COMMENT);
  expect([...w.source.files.keys()].filter((p) => p.startsWith("/root/.mudanza-migrate"))).toEqual([]);
}

/** Calls `fault` inside the final pass's rsync (the source's database stopped), after the copy's effect. */
function duringFinalPass(w: World, fault: () => void): void {
  const copy = w.source.rules.find((r) => r.match === RSYNC_PASS)!.reply;
  if (typeof copy !== "function") throw new Error("simulate() has no rsync rule");
  w.source.on(
    RSYNC_PASS,
    async (command, host) => {
      const reply = await copy(command, host);
      if (!w.state.units.source.get("mariadb.service") && !command.includes("--dry-run")) fault();
      return reply;
    },
    { mutates: true },
  );
}

/** Makes the source's `systemctl VERB` of the databases fail while `on()` says so (the rule falls through otherwise). */
function failingSystemctl(w: World, verb: "stop" | "start", on: () => boolean): void {
  const real = w.source.rules.find((r) => String(r.match) === String(/^systemctl (stop|start) /))!.reply;
  if (typeof real !== "function") throw new Error("simulate() has no systemctl rule");
  w.source.on(
    /^systemctl (stop|start) /,
    (command, host) => {
      if (on() && command.startsWith(`systemctl ${verb} `) && command.includes("mariadb"))
        return {
          code: 1,
          stderr: `Job for mariadb.service failed because a timeout was exceeded.\nSee "systemctl status mariadb.service" and "journalctl -xeu mariadb.service" for details.\n`,
        };
      return real(command, host);
    },
    { mutates: true },
  );
}

let uninterrupted: Record<string, string> | null = null;
async function baseline(): Promise<Record<string, string>> {
  if (!uninterrupted) {
    const w = await world();
    const { outcome } = await run(w);
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    uninterrupted = finalState(w);
  }
  return uninterrupted;
}

/** After the re-run: exit 0, same end as an uninterrupted run, key gone, nothing pending, database running. */
async function expectConverged(w: World): Promise<void> {
  const rerun = await run(w);
  expect(exitCodeForRun(rerun.outcome), rerun.outcome.message).toBe(0);
  expect(finalState(w)).toEqual(await baseline());
  expectKeyGone(w);
  expect(rerun.compensations).toEqual([]);
}

const AFTER =
  "re-run: exit 0, same files, units and keys as an uninterrupted run, migration key gone from both hosts, nothing pending";

describe("fault matrix: openvz-to-kvm on scripted hosts", () => {
  it.each(
    STEPS.flatMap((step) => (["SIGINT", "SIGTERM"] as const).map((signal) => [step, signal] as const)).filter(
      ([step, signal]) => signal === "SIGINT" || ["db-freeze", "rsync", "cutover"].includes(step),
    ),
  )("%s boundary, %s", async (step, signal) => {
    const code = signal === "SIGINT" ? 130 : 143;
    const exit =
      step === "cutover"
        ? `exit ${code}, the database stays stopped (the cutover is done)`
        : `exit ${code}, the source's database runs after the exit`;
    const row: FaultRow = {
      point: `after ${step} (step boundary)`,
      setup: "scripted",
      injected: `${signal} (the run's abort signal) on the step-end event`,
      verified: `${exit}; ${AFTER}`,
    };
    await rows.timed(row, async () => {
      const w = await world();
      const first = await run(w, (e) =>
        e.type === "step-end" && e.stepId === step ? new InterruptedError(signal) : null,
      );
      expect(exitCodeForRun(first.outcome), first.outcome.message).toBe(signal === "SIGINT" ? 130 : 143);
      // db-freeze stops the database only inside its run; after cutover it stays stopped by design.
      expect(w.state.units.source.get("mariadb.service"), "the source's database was left stopped").toBe(
        step !== "cutover",
      );
      expect(first.compensations.filter((c) => c.id.startsWith("start-databases"))).toEqual([]);
      await expectConverged(w);
    });
  });

  it("inside the final pass (databases stopped): SIGINT", async () => {
    const row: FaultRow = {
      point: "inside the final rsync (databases stopped)",
      setup: "scripted",
      injected: "SIGINT (abort) while the final pass's rsync runs",
      verified: `exit 130; the compensation started the database before the exit; ${AFTER}`,
    };
    await rows.timed(row, async () => {
      const w = await world();
      const trigger: Trigger = {};
      duringFinalPass(w, () => trigger.abort?.(new InterruptedError("SIGINT")));
      const first = await run(w, undefined, trigger);
      expect(exitCodeForRun(first.outcome), first.outcome.message).toBe(130);
      expect(w.state.units.source.get("mariadb.service"), "the source's database was left stopped").toBe(true);
      expect(first.events.some((e) => e.type === "compensation" && e.id === "start-databases-source" && e.ok)).toBe(
        true,
      );
      await expectConverged(w);
    });
  });

  it("a database that will not stop", async () => {
    const row: FaultRow = {
      point: "db-freeze: the source's database will not stop",
      setup: "scripted",
      injected: "`systemctl stop` of the database fails (timeout)",
      verified: `exit 1 naming the unit; the database runs; no final pass ran; ${AFTER}`,
    };
    await rows.timed(row, async () => {
      const w = await world();
      let broken = true;
      failingSystemctl(w, "stop", () => broken);
      const first = await run(w);
      expect(exitCodeForRun(first.outcome), first.outcome.message).toBe(1);
      expect(first.outcome.message).toMatch(/mariadb/);
      expect(w.state.units.source.get("mariadb.service")).toBe(true);
      expect(first.compensations.filter((c) => c.id.startsWith("start-databases"))).toEqual([]);
      broken = false;
      await expectConverged(w);
    });
  });

  it("a database that will not start again", async () => {
    const row: FaultRow = {
      point: "db-freeze: the source's database will not start again",
      setup: "scripted",
      injected: "the final pass fails (rsync exit 11, disk full), then `systemctl start` of the database fails",
      verified: `exit 1; the failed compensation stays pending and is named; the re-run starts the database first; ${AFTER}`,
    };
    await rows.timed(row, async () => {
      const w = await world();
      let broken = true;
      failingSystemctl(w, "start", () => broken);
      const copy = w.source.rules.find((r) => r.match === RSYNC_PASS)!.reply;
      if (typeof copy !== "function") throw new Error("simulate() has no rsync rule");
      w.source.on(
        RSYNC_PASS,
        async (command, host) => {
          if (broken && !w.state.units.source.get("mariadb.service") && !command.includes("--dry-run"))
            return {
              code: 11,
              stderr:
                'rsync: [receiver] write failed on "/var/lib/mysql/ibdata1": No space left on device (28)\nrsync error: error in file IO (code 11) at receiver.c(380) [receiver=3.2.7]\n',
            };
          return copy(command, host);
        },
        { mutates: true },
      );
      const first = await run(w);
      expect(exitCodeForRun(first.outcome), first.outcome.message).toBe(1);
      expect(first.outcome.message).toMatch(/No space left on device|exit 11/);
      expect(first.events.some((e) => e.type === "compensation" && e.id === "start-databases-source" && !e.ok)).toBe(
        true,
      );
      expect(first.compensations.map((c) => c.id)).toContain("start-databases-source");
      expect(w.state.units.source.get("mariadb.service")).toBe(false);
      broken = false;
      const rerunFirst = await run(w);
      expect(rerunFirst.events.find((e) => e.type === "compensation" || e.type === "step-start")).toMatchObject({
        type: "compensation",
        id: "start-databases-source",
        ok: true,
      });
      expect(exitCodeForRun(rerunFirst.outcome), rerunFirst.outcome.message).toBe(0);
      expect(finalState(w)).toEqual(await baseline());
      expectKeyGone(w);
      expect(rerunFirst.compensations).toEqual([]);
    });
  });
});
