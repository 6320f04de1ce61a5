import { readFile, writeFile } from "node:fs/promises";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { join, resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/program.js";
import type { PipelineEvent } from "../../../src/engine/events.js";
import { runPipeline } from "../../../src/engine/runner.js";
import { loadScriptedHost } from "../../../src/hosts/scripted-fixture.js";
import { Journal } from "../../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";
import { buildRollback } from "../../../src/pipelines/rollback/pipeline.js";
import { loadPlan } from "../../../src/plan/load.js";
import { runMain } from "../../support/main-cli.js";
import { useTempDirs } from "../../support/temp-dirs.js";
import { PAIRS, type OvzPlan } from "./harness.js";
import { openPlanJournal } from "../../support/plan-journal.js";
import { collectDryRun } from "../../../src/report/dry-run-report.js";
import { FACTS_AFTER } from "../../../src/steps/rollback/context.js";

const tempDir = useTempDirs();
const HOSTS = resolve("fixtures/hosts");
const NAME = "mz-ovz-kvm-debian-12-before-copy";
const FINISH = `mudanza rollback plan.yaml --to ${NAME}`;

async function planFile(withCheckpoints: boolean): Promise<string> {
  const text = (await readFile(PAIRS.debian.plan, "utf8")).replaceAll("../hosts/", `${HOSTS}/`);
  const section = `checkpoints:\n  target: {via: libvirt, transport: scripted, fixture: ${HOSTS}/libvirt-checkpoints, host: kvm1.example.org, domain: web1}\n`;
  const path = join(await tempDir("mudanza-rollback-plan-"), "plan.yaml");
  await writeFile(path, withCheckpoints ? text.replace("options:", `${section}options:`) : text);
  return path;
}

/** A migration that took its checkpoint before the copy, copied, and failed at the kernel install with a database left stopped. */
/** The libvirt host listing the migration's one checkpoint (the target's, before the copy). */
async function libvirtWithTheCheckpoint() {
  const libvirt = await loadScriptedHost(`${HOSTS}/libvirt-checkpoints`, "target-checkpoints");
  libvirt.on("virsh -c qemu:///system snapshot-list web1", {
    stdout: (await readFile(`${HOSTS}/libvirt-checkpoints/out/snapshot-list-web1-one.txt`, "utf8")).replace(
      "mz-lab-before-copy",
      NAME.padEnd(18),
    ),
  });
  return libvirt;
}

/** The rollback of the target to its checkpoint before the copy. */
function rollbackToBeforeCopy(migration: Journal, plan: OvzPlan) {
  return buildRollback(
    {
      migration,
      name: NAME,
      purpose: "before-copy",
      sides: ["target"],
      stepIds: buildOpenvzToKvm(plan).steps.map((s) => s.id),
      firstUndoneStep: "checkpoint-before-copy",
    },
    FINISH,
  );
}

async function failedMigration(stateDir: string, plan: OvzPlan): Promise<Journal> {
  const journal = await Journal.open({
    stateDir,
    migrationId: plan.name!,
    kind: plan.kind,
    planPath: "plan.yaml",
    planHash: "h",
  });
  for (const id of [
    "checkpoint-before-update",
    "pre-update",
    "release-match",
    "capture-target",
    "checkpoint-before-copy",
    "rsync",
    "db-freeze",
    "network-fixup",
  ])
    await journal.updateStep(id, { status: "done" });
  await journal.updateStep("kernel-install", { status: "failed", message: "apt-get install failed" });
  await journal.setFact("checkpoints", [
    {
      side: "target",
      purpose: "before-copy",
      name: NAME,
      via: "libvirt",
      label: "libvirt domain web1",
      takenAt: "2026-12-01T18:47:56.000Z",
    },
  ]);
  await journal.setFact("targetHostKeyFingerprints", ["SHA256:own"]);
  await journal.setFact("syncPasses", [
    {
      pass: 1,
      kind: "live",
      code: 0,
      vanished: false,
      seconds: 1,
      transferredBytes: 1,
      deletedFiles: 0,
      files: 1,
      at: "2026-12-01T18:50:00.000Z",
    },
  ]);
  await journal.setFact("kernelInstall", { at: "x", kernelRelease: "6.1.0-35-amd64", installed: [], owner: "" });
  await journal.addCompensation({
    id: "db-start",
    title: "start the source's databases",
    host: "source",
    command: "systemctl start -- mariadb.service",
    registeredBy: "db-freeze",
  });
  return journal;
}

/** The rollback's own journal, as the rollback command opens it beside the migration's. */
const rollbackJournal = (stateDir: string, readOnly = false) =>
  Journal.open({
    stateDir,
    migrationId: "rb",
    fileStem: "rb",
    kind: "rollback",
    planPath: "plan.yaml",
    planHash: "h",
    readOnly,
  });

describe("mudanza rollback (scripted hosts, libvirt checkpoints)", () => {
  it("reverts the target, starts what was left stopped, and rewinds the journal so a re-run continues from the checkpoint", async () => {
    const plan = (await loadPlan(await planFile(true))).plan as OvzPlan;
    const stateDir = await tempDir("mudanza-rollback-state-");
    const migration = await failedMigration(stateDir, plan);
    const source = await loadScriptedHost(`${HOSTS}/debian-12-openvz-source`, "source");
    const target = await loadScriptedHost(`${HOSTS}/debian-12-kvm-target`, "target");
    const libvirt = await libvirtWithTheCheckpoint();
    libvirt.on(/^virsh -c qemu:\/\/\/system snapshot-revert /, {}, { mutates: true });
    target.on("true", {});
    source.on("systemctl start -- mariadb.service", {}, { mutates: true });
    const pipeline = rollbackToBeforeCopy(migration, plan);
    const own = await rollbackJournal(stateDir);
    const events: PipelineEvent[] = [];
    const outcome = await runPipeline({
      pipeline,
      plan,
      hosts: { source, target, "target-checkpoints": libvirt },
      journal: own,
      mode: "yes",
      sink: (e) => events.push(e),
    });
    await own.close();
    expect(outcome.message ?? "").toBe("");
    expect(exitCodeForRun(outcome)).toBe(0);
    expect(events.flatMap((e) => (e.type === "step-end" ? [`${e.stepId}:${e.status}`] : []))).toEqual([
      "revert-target:done",
      "revert-source:skipped",
      "restart-stopped:done",
      "reset-journal:done",
    ]);
    expect(libvirt.mutations.map((m) => (m.kind === "exec" ? m.command : ""))).toEqual([
      `virsh -c qemu:///system snapshot-revert web1 ${NAME} --running --force`,
    ]);
    expect(source.mutations.map((m) => (m.kind === "exec" ? m.command : ""))).toEqual([
      "systemctl start -- mariadb.service",
    ]);
    const gate = events.find((e) => e.type === "prompt" && e.stepId === "revert-target");
    expect(gate?.type === "prompt" && gate.details.join("\n")).toMatch(/everything done to the target since is lost/);
    const after = migration.snapshot;
    await migration.close();
    expect(Object.fromEntries(Object.entries(after.steps).map(([id, s]) => [id, s.status]))).toMatchObject({
      "capture-target": "done",
      "checkpoint-before-copy": "pending",
      rsync: "pending",
      "kernel-install": "pending",
    });
    expect(Object.keys(after.facts).sort()).toEqual(["checkpoints", "targetHostKeyFingerprints"]);
    expect(after.compensations).toEqual([]);
  });

  it("stopped after the revert (the restart failed): its end says the target was returned and the journal not rewound, and the migration's journal records it until a rollback finishes (new-user trial 12)", async () => {
    const plan = (await loadPlan(await planFile(true))).plan as OvzPlan;
    const stateDir = await tempDir("mudanza-rollback-state-");
    const migration = await failedMigration(stateDir, plan);
    const source = await loadScriptedHost(`${HOSTS}/debian-12-openvz-source`, "source");
    const target = await loadScriptedHost(`${HOSTS}/debian-12-kvm-target`, "target");
    const libvirt = await libvirtWithTheCheckpoint();
    libvirt.on(/^virsh -c qemu:\/\/\/system snapshot-revert /, {}, { mutates: true });
    target.on("true", {});
    source.on("systemctl start -- mariadb.service", { code: 1, stderr: "Job failed" }, { mutates: true });
    const own = await rollbackJournal(stateDir);
    const outcome = await runPipeline({
      pipeline: rollbackToBeforeCopy(migration, plan),
      plan,
      hosts: { source, target, "target-checkpoints": libvirt },
      journal: own,
      mode: "yes",
      sink: () => {},
    });
    await own.close();
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toMatch(
      new RegExp(
        `^Start again what the migration had stopped: [\\s\\S]*\\nA rollback is unfinished: the target was returned to checkpoint ${NAME} at \\S+; the migration's journal was not rewound`,
      ),
    );
    expect(outcome.message).toContain(`Until it is finished (${FINISH}), \`mudanza run\` refuses this migration.`);
    const underWay = migration.snapshot.facts["rollbackUnderWay"];
    await migration.close();
    expect(underWay).toMatchObject({ checkpoint: NAME, sides: ["target"], reverted: [{ side: "target" }] });
  });

  it("declined at the target's revert: nothing was reverted, so its end adds nothing and nothing is recorded", async () => {
    const plan = (await loadPlan(await planFile(true))).plan as OvzPlan;
    const stateDir = await tempDir("mudanza-rollback-state-");
    const migration = await failedMigration(stateDir, plan);
    const own = await rollbackJournal(stateDir);
    const target = await loadScriptedHost(`${HOSTS}/debian-12-kvm-target`, "target");
    const outcome = await runPipeline({
      pipeline: rollbackToBeforeCopy(migration, plan),
      plan,
      hosts: {
        source: await loadScriptedHost(`${HOSTS}/debian-12-openvz-source`, "source"),
        target,
        "target-checkpoints": await libvirtWithTheCheckpoint(),
      },
      journal: own,
      mode: "interactive",
      confirm: () => Promise.resolve(false),
      sink: () => {},
    });
    await own.close();
    expect(outcome.status).toBe("declined");
    expect(outcome.message).not.toContain("rollback is unfinished");
    expect(migration.snapshot.facts["rollbackUnderWay"]).toBeUndefined();
    await migration.close();
  });

  it("the dry run says the journal's rewind would run without a reason that says it is done, and its Undo speaks of a rollback, not of checkpoints it could not plan (found by a new-user trial)", async () => {
    const plan = (await loadPlan(await planFile(true))).plan as OvzPlan;
    const stateDir = await tempDir("mudanza-rollback-state-");
    const migration = await failedMigration(stateDir, plan);
    const libvirt = await libvirtWithTheCheckpoint();
    const target = await loadScriptedHost(`${HOSTS}/debian-12-kvm-target`, "target");
    target.on("true", {});
    const hosts = {
      source: await loadScriptedHost(`${HOSTS}/debian-12-openvz-source`, "source"),
      target,
      "target-checkpoints": libvirt,
    };
    const pipeline = rollbackToBeforeCopy(migration, plan);
    const own = await rollbackJournal(stateDir, true);
    const dryRun = async () => {
      const outcome = await runPipeline({ pipeline, plan, hosts, journal: own, mode: "dry-run", sink: () => {} });
      // what drive-pipeline gives the report of a plan with a checkpoints section
      return collectDryRun(pipeline, {}, outcome.probes, outcome.skipped, undefined, { checkpointsInPlan: true });
    };
    const before = await dryRun();
    // the gated revert, and the compensation run without a gate, with its command and host (new-user trial 9, finding 8)
    expect(before.risk.changes).toEqual([
      `1 step(s) ask at a gate before they change a host: Return the target to checkpoint ${NAME}.`,
      "1 more change a host without asking: Start again what the migration had stopped: runs what the migration left to undo, in this order: start the source's databases (source: `systemctl start -- mariadb.service`).",
    ]);
    expect(before.steps.find((s) => s.id === "reset-journal")).toMatchObject({
      status: "would-run",
      reason: undefined,
    });
    expect(before.risk.undo).toEqual([
      expect.stringMatching(/^Nothing mudanza offers: returning a host to a checkpoint/),
    ]);
    const stepIds = buildOpenvzToKvm(plan).steps.map((s) => s.id);
    await migration.rollBackTo(stepIds, "checkpoint-before-copy", FACTS_AFTER["before-copy"], "rolled back");
    const after = await dryRun();
    expect(after.steps.find((s) => s.id === "reset-journal")).toMatchObject({
      status: "satisfied",
      reason: "the journal is at the checkpoint already",
    });
    await own.close();
    await migration.close();
  });

  it("a migration that ran and took no checkpoint: exit 2, saying so and naming its journal", async () => {
    const stateDir = await tempDir("mudanza-rollback-state-");
    const { journal, loaded } = await openPlanJournal(await planFile(false), stateDir);
    await journal.startRun("yes");
    await journal.close();
    let stderr = "";
    const code = await main(["rollback", loaded.path, "--yes", "--state-dir", stateDir], (t) => (stderr += t));
    expect(code).toBe(2);
    expect(stderr).toContain(`took no checkpoint (journal ${journal.path})`);
  });

  it("a checkpoint its backend does not list, with none listed: the fix does not say to choose one of them (found by a new-user trial)", async () => {
    const stateDir = await tempDir("mudanza-rollback-state-");
    const { journal, loaded } = await openPlanJournal(await planFile(true), stateDir); // the libvirt fixture lists no snapshot
    await journal.startRun("yes");
    await journal.setFact("checkpoints", [
      {
        side: "target",
        purpose: "before-copy",
        name: NAME,
        via: "libvirt",
        label: "libvirt domain web1",
        takenAt: "2026-12-01T18:47:56.000Z",
      },
    ]);
    await journal.endRun("failed");
    await journal.close();
    const { code, out, err } = await runMain(["rollback", loaded.path, "--dry-run", "--state-dir", stateDir]);
    expect(code).toBe(3);
    expect(out + err).toContain(`Checkpoint ${NAME} not found on the target`);
    expect(out + err).toContain("lists no checkpoint");
    expect(out + err).not.toContain("choose one of those");
    expect(out + err).toContain("there is no checkpoint to return the target to");
  });

  it("the dry run says so while a run of the migration holds its journal, as run --dry-run does (new-user trial 9, finding 8: it said Ready, and the rollback was refused)", async () => {
    const stateDir = await tempDir("mudanza-rollback-state-");
    const { journal, loaded } = await openPlanJournal(await planFile(true), stateDir);
    await journal.startRun("interactive"); // this process holds the lock, as a run waiting at a gate does
    await journal.setFact("checkpoints", [
      {
        side: "target",
        purpose: "before-copy",
        name: NAME,
        via: "libvirt",
        label: "libvirt domain web1",
        takenAt: "2026-12-01T18:47:56.000Z",
      },
    ]);
    // what the command said on stderr (main's own error channel holds only its final error)
    const dryRun = async () => {
      let said = "";
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((said += String(chunk)), true));
      try {
        await runMain(["rollback", loaded.path, "--dry-run", "--state-dir", stateDir]);
        return said;
      } finally {
        stderr.mockRestore();
      }
    };
    const held = await dryRun();
    expect(held).toContain(
      `mudanza: another mudanza run holds the journal ${journal.path} (pid ${process.pid}, running since `,
    );
    expect(held).toContain("a rollback now would be refused until it ends");
    await journal.close();
    expect(await dryRun()).not.toContain("another mudanza run");
  });

  it("a migration that never ran with this state dir: exit 2, naming the state dir, not a journal that does not exist (found by a new-user trial)", async () => {
    const stateDir = await tempDir("mudanza-rollback-state-");
    let stderr = "";
    const code = await main(
      ["rollback", await planFile(false), "--yes", "--state-dir", stateDir],
      (t) => (stderr += t),
    );
    expect(code).toBe(2);
    expect(stderr).toContain(`has not run with the state dir ${stateDir} (no journal for it there)`);
    expect(stderr).not.toMatch(/journal\.json/);
    // without --yes and no terminal: still that, not a request for --yes first (new-user trial 7)
    stderr = "";
    expect(await main(["rollback", await planFile(false), "--state-dir", stateDir], (t) => (stderr += t))).toBe(2);
    expect(stderr).toContain("there is nothing to roll back to");
    expect(stderr).not.toContain("not a terminal");
  });
});
