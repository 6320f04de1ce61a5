import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline, type RunOutcome } from "../../src/engine/runner.js";
import { InterruptedError } from "../../src/errors.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import type { Host } from "../../src/hosts/host.js";
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
const BOOT_ID = "/proc/sys/kernel/random/boot_id";

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

/** Filled by run(): aborts it from inside a command, or kills it there (what SIGKILL leaves). */
type Trigger = { abort?: (reason: InterruptedError) => void; kill?: () => void };

/**
 * A run's view of a host that dies with the run: once `dead()` says so, nothing it asks returns (a SIGKILLed
 * process never sees an answer), while what the host was already doing takes effect (the orphaned command).
 */
function diesWith(host: ScriptedHost, dead: () => boolean): Host {
  const never = new Promise<never>(() => undefined);
  const call =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (dead()) return never;
      const result = await method.apply(host, args);
      return dead() ? never : result;
    };
  return {
    role: host.role,
    address: host.address,
    exec: call(host.exec),
    readFile: call(host.readFile),
    writeFile: call(host.writeFile),
    stat: call(host.stat),
    reconnect: call(host.reconnect),
    close: () => host.close(),
  };
}

async function run(w: World, abortOn?: (event: PipelineEvent) => InterruptedError | null, trigger: Trigger = {}) {
  const controller = new AbortController();
  trigger.abort = (reason) => controller.abort(reason);
  let killed = false;
  let onKill = (): void => undefined;
  const kill = new Promise<"killed">((resolve) => (onKill = () => resolve("killed")));
  trigger.kill = () => {
    killed = true;
    onKill();
  };
  const events: PipelineEvent[] = [];
  const journal = await Journal.open({
    stateDir: w.stateDir,
    migrationId: w.plan.name ?? "ovz",
    kind: w.plan.kind,
    planPath: "plan.yaml",
    planHash: "h",
  });
  try {
    const outcome = await Promise.race([
      runPipeline({
        pipeline: buildOpenvzToKvm(w.plan),
        plan: w.plan,
        hosts: { source: diesWith(w.source, () => killed), target: diesWith(w.target, () => killed) },
        journal,
        mode: "yes",
        signal: controller.signal,
        sink: (event) => {
          if (killed) return;
          events.push(event);
          const reason = abortOn?.(event);
          if (reason && !controller.signal.aborted) controller.abort(reason);
        },
      }),
      kill,
    ]);
    // killed: the journal is as the dead run last saved it; its lock is released as a SIGKILL's goes stale
    return { outcome, events, compensations: (await Journal.read(journal.path))!.compensations };
  } finally {
    await journal.close();
  }
}

/** The exit code of a run that ended (a killed run has none). */
function exitOf(outcome: RunOutcome | "killed"): number | "killed" {
  return outcome === "killed" ? "killed" : exitCodeForRun(outcome);
}
const messageOf = (outcome: RunOutcome | "killed"): string | undefined =>
  outcome === "killed" ? "killed" : outcome.message;

const hash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 12);

/** Files of both hosts (backup folders' timestamps and boot ids aside), unit states, the key's traces. */
function finalState(w: World): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, host] of [
    ["source", w.source],
    ["target", w.target],
  ] as const) {
    for (const [path, file] of host.files) {
      if (path === "/proc/sys/kernel/random/boot_id" || path === "/proc/uptime") continue;
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
    expect(exitOf(outcome), messageOf(outcome)).toBe(0);
    uninterrupted = finalState(w);
  }
  return uninterrupted;
}

/** After the re-run: exit 0, same end as an uninterrupted run, key gone, nothing pending, database running. */
async function expectConverged(w: World): Promise<void> {
  const rerun = await run(w);
  expect(exitOf(rerun.outcome), messageOf(rerun.outcome)).toBe(0);
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
      expect(exitOf(first.outcome), messageOf(first.outcome)).toBe(signal === "SIGINT" ? 130 : 143);
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
      expect(exitOf(first.outcome), messageOf(first.outcome)).toBe(130);
      expect(w.state.units.source.get("mariadb.service"), "the source's database was left stopped").toBe(true);
      expect(first.events.some((e) => e.type === "compensation" && e.id === "start-databases-source" && e.ok)).toBe(
        true,
      );
      await expectConverged(w);
    });
  });

  it("inside the final pass (databases stopped): SIGKILL", async () => {
    const row: FaultRow = {
      point: "inside the final rsync (databases stopped)",
      setup: "scripted",
      injected: "SIGKILL: the run stops dead while the final pass's rsync runs (no host answers it again)",
      verified: `the database stays stopped with its compensation pending; the re-run starts it before anything else; ${AFTER}`,
    };
    await rows.timed(row, async () => {
      const w = await world();
      const trigger: Trigger = {};
      duringFinalPass(w, () => trigger.kill?.());
      const first = await run(w, undefined, trigger);
      expect(exitOf(first.outcome)).toBe("killed");
      expect(w.state.units.source.get("mariadb.service"), "nothing could start the database").toBe(false);
      expect(first.compensations.map((c) => c.id)).toContain("start-databases-source");
      const rerun = await run(w);
      expect(rerun.events.find((e) => e.type === "compensation" || e.type === "step-start")).toMatchObject({
        type: "compensation",
        id: "start-databases-source",
        ok: true,
      });
      expect(exitOf(rerun.outcome), messageOf(rerun.outcome)).toBe(0);
      expect(finalState(w)).toEqual(await baseline());
      expectKeyGone(w);
      expect(rerun.compensations).toEqual([]);
    });
  });

  it("the target rebooted by someone else inside the live copy", async () => {
    const row: FaultRow = {
      point: "inside the live rsync",
      setup: "scripted",
      injected:
        "the target reboots (new boot id, uptime 0 s, its connection drops); the source's rsync fails with exit 12 (connection closed)",
      verified: `exit 1, the message says "target rebooted during rsync"; the database runs; ${AFTER}`,
    };
    await rows.timed(row, async () => {
      const w = await world();
      const bootBefore = w.target.files.get(BOOT_ID)?.content;
      let rebooted = false;
      const copy = w.source.rules.find((r) => r.match === RSYNC_PASS)!.reply;
      if (typeof copy !== "function") throw new Error("simulate() has no rsync rule");
      w.source.on(
        RSYNC_PASS,
        async (command, host) => {
          if (rebooted || command.includes("--dry-run")) return copy(command, host);
          rebooted = true;
          // half a pass arrived; then the VM is reset by its provider
          await copy(command, host);
          w.target.putFile(BOOT_ID, `${crypto.randomUUID()}\n`);
          w.target.putFile("/proc/uptime", "0.00 0.00\n");
          w.target.connectionLost = true;
          return {
            code: 12,
            stderr:
              "Connection to 198.18.0.20 closed by remote host.\nrsync: connection unexpectedly closed (8372 bytes received so far) [sender]\nrsync error: error in rsync protocol data stream (code 12) at io.c(232) [sender=3.2.7]\n",
          };
        },
        { mutates: true },
      );
      const first = await run(w);
      expect(rebooted).toBe(true);
      expect(exitOf(first.outcome), messageOf(first.outcome)).toBe(1);
      expect(messageOf(first.outcome)).toMatch(/target rebooted during rsync \(up 0 s\)/);
      expect(w.target.files.get(BOOT_ID)?.content).not.toBe(bootBefore);
      expect(w.state.units.source.get("mariadb.service"), "the source's database was left stopped").toBe(true);
      expect(first.compensations).toEqual([]);
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
      expect(exitOf(first.outcome), messageOf(first.outcome)).toBe(1);
      expect(messageOf(first.outcome)).toMatch(/mariadb/);
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
      expect(exitOf(first.outcome), messageOf(first.outcome)).toBe(1);
      expect(messageOf(first.outcome)).toMatch(/No space left on device|exit 11/);
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
      expect(exitOf(rerunFirst.outcome), messageOf(rerunFirst.outcome)).toBe(0);
      expect(finalState(w)).toEqual(await baseline());
      expectKeyGone(w);
      expect(rerunFirst.compensations).toEqual([]);
    });
  });
});
