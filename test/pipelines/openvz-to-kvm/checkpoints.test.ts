import { readFile, writeFile } from "node:fs/promises";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/program.js";
import type { PipelineEvent } from "../../../src/engine/events.js";
import { runPipeline } from "../../../src/engine/runner.js";
import { loadScriptedHost } from "../../../src/hosts/scripted-fixture.js";
import type { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { Journal } from "../../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";
import { snapshotUuid } from "../../../src/checkpoints/vzctl.js";
import { useTempDirs } from "../../support/temp-dirs.js";
import { loadPlan } from "../../../src/plan/load.js";
import { checkpointStep } from "../../../src/steps/checkpoints/take-checkpoint.js";
import { loadPair, PAIRS, type OvzPlan } from "./harness.js";
import { simulate } from "./simulate.js";

const tempDir = useTempDirs();
const HOSTS = resolve("fixtures/hosts");
const TARGET_NAME = "mz-ovz-kvm-debian-12-before-copy";
const UPDATE_NAME = "mz-ovz-kvm-debian-12-before-update";

const checkpointsYaml = (domain = "web1") =>
  [
    "checkpoints:",
    `  target: {via: libvirt, transport: scripted, fixture: ${HOSTS}/libvirt-checkpoints, host: kvm1.example.org, domain: ${domain}}`,
    `  source: {via: vzctl, transport: scripted, fixture: ${HOSTS}/openvz7-node, host: node1.example.org, ctid: 101}`,
    "",
  ].join("\n");

/** The debian pair's plan with a checkpoints section, written where the scripted fixtures resolve. */
async function planWithCheckpoints(domain?: string): Promise<string> {
  const text = (await readFile(PAIRS.debian.plan, "utf8")).replaceAll("../hosts/", `${HOSTS}/`);
  const path = join(await tempDir("mudanza-ckpt-plan-"), "plan.yaml");
  await writeFile(path, text.replace("options:", `${checkpointsYaml(domain)}options:`));
  return path;
}

/** virsh and vzctl answering as they would once a snapshot was taken: the lists grow with each create. */
async function checkpointHosts(): Promise<{ libvirt: ScriptedHost; vzctl: ScriptedHost }> {
  const libvirt = await loadScriptedHost(`${HOSTS}/libvirt-checkpoints`, "target-checkpoints");
  const vzctl = await loadScriptedHost(`${HOSTS}/openvz7-node`, "source-checkpoints");
  const virshRows: string[] = [];
  const header = (await readFile(`${HOSTS}/libvirt-checkpoints/out/snapshot-list-web1-empty.txt`, "utf8")).trimEnd();
  libvirt.on(
    /^virsh -c qemu:\/\/\/system snapshot-create-as web1 (\S+) /,
    (command) => {
      const name = /snapshot-create-as web1 (\S+) /.exec(command)![1]!;
      virshRows.push(` ${name.padEnd(20)} 2026-12-01 18:47:56 +0000   running`);
      return { stdout: `Domain snapshot ${name} created\n` };
    },
    { mutates: true },
  );
  libvirt.on("virsh -c qemu:///system snapshot-list web1", () => ({
    stdout: [header, ...virshRows, ""].join("\n") + "\n",
  }));
  libvirt.on(
    /^virsh -c qemu:\/\/\/system snapshot-delete web1 (\S+)$/,
    (command) => {
      const name = command.split(" ").at(-1)!;
      virshRows.splice(
        virshRows.findIndex((r) => r.trim().startsWith(`${name} `)),
        1,
      );
      return { stdout: `Domain snapshot ${name} deleted\n` };
    },
    { mutates: true },
  );
  const vzRows: string[] = [];
  vzctl.on(
    /^vzctl snapshot 101 /,
    (command) => {
      const name = /--name (\S+)/.exec(command)![1]!;
      vzRows.push(`${snapshotUuid(name).padEnd(38)} 2026-12-01 18:44:39 ${name}`);
      return {};
    },
    { mutates: true },
  );
  vzctl.on("vzctl snapshot-list 101 -H -o uuid,date,name", () => ({ stdout: vzRows.map((r) => r + "\n").join("") }));
  vzctl.on(
    /^vzctl snapshot-delete 101 --id /,
    (command) => {
      vzRows.splice(
        vzRows.findIndex((r) => command.includes(r.slice(0, 38).trim())),
        1,
      );
      return {};
    },
    { mutates: true },
  );
  return { libvirt, vzctl };
}

describe("a checkpoint mudanza deleted since it was taken", () => {
  it("is not looked for when the checkpoint step is verified again; one that is missing says what was expected and what was seen", async () => {
    const plan = (await loadPlan(await planWithCheckpoints())).plan as OvzPlan;
    const { libvirt } = await checkpointHosts(); // lists no snapshot
    const step = checkpointStep("before-copy", ["target"]);
    const verify = (checkpoints: unknown[]) =>
      step.verify({
        plan,
        hosts: { "target-checkpoints": libvirt },
        facts: { get: () => checkpoints, set: async () => undefined, all: () => ({ checkpoints }) },
        signal: new AbortController().signal,
      } as unknown as Parameters<typeof step.verify>[0]);
    const taken = {
      side: "target",
      purpose: "before-copy",
      name: TARGET_NAME,
      via: "libvirt",
      label: "libvirt domain web1",
      takenAt: "2026-12-01T18:47:56.000Z",
    };
    const missing = await verify([taken]);
    expect(missing.ok).toBe(false);
    expect(missing.checks[0]!.detail).toBe("expected it listed after taking it, but no checkpoint is listed");
    const deleted = await verify([{ ...taken, deletedAt: "2026-12-02T00:00:00.000Z" }]);
    expect(deleted.ok).toBe(true);
    expect(deleted.checks[0]!.detail).toContain("deleted at 2026-12-02T00:00:00.000Z");
    expect(deleted.checks[0]!.detail).toContain("nothing can undo the steps after this one now");
  });
});

describe("a checkpoint the backend already holds but the journal does not (a run after --restart)", () => {
  it("is kept, not taken again, and recorded with the backend's time, so rollback can return to it", async () => {
    const plan = (await loadPlan(await planWithCheckpoints())).plan as OvzPlan;
    const { libvirt } = await checkpointHosts();
    await libvirt.exec(`virsh -c qemu:///system snapshot-create-as web1 ${TARGET_NAME} --atomic`);
    const step = checkpointStep("before-copy", ["target"]);
    let facts: unknown[] = [];
    const ctx = {
      plan,
      hosts: { "target-checkpoints": libvirt },
      facts: {
        get: () => facts,
        set: async (_key: unknown, value: unknown[]) => void (facts = value),
        all: () => ({ checkpoints: facts }),
      },
      output: () => undefined,
      signal: new AbortController().signal,
    } as unknown as Parameters<typeof step.probe>[0];
    const probe = await step.probe(ctx);
    expect(probe.satisfied).toBe(false);
    expect(probe.plan.take).toEqual([]);
    expect(probe.plan.adopt.map((c) => c.name)).toEqual([TARGET_NAME]);
    expect((probe.details ?? []).join("\n")).toContain("recorded in the journal, so rollback can return to it");
    expect((probe.details ?? []).join("\n")).toContain("taken 2026-12-01T18:47:56.000Z"); // how old, for the admin
    // Said as a warning, not only a detail: it may be another migration's of the same name (new-user trial 12).
    const said = probe.findings.find((f) => f.title.includes("not recorded by this migration"));
    expect(said).toMatchObject({ severity: "warning", blocks: false, host: "target" });
    expect(said?.summary).toContain(`a checkpoint named ${TARGET_NAME}, taken 2026-12-01T18:47:56.000Z`);
    expect(said?.remediation).toContain("give this migration a name of its own");
    // and the report's undo names it, as a checkpoint a rollback can return to
    expect(probe.facts?.checkpointPlan).toEqual([
      expect.objectContaining({ name: TARGET_NAME, costHow: "exists already" }),
    ]);
    await step.run(ctx, probe.plan);
    expect(facts).toEqual([
      {
        side: "target",
        purpose: "before-copy",
        name: TARGET_NAME,
        via: "libvirt",
        label: expect.stringContaining("web1"),
        takenAt: "2026-12-01T18:47:56.000Z",
      },
    ]);
    const creates = libvirt.mutations.filter((m) => m.kind === "exec" && m.command.includes("snapshot-create-as"));
    expect(creates).toHaveLength(1); // ours, above
    // Recorded now: the next probe has nothing to do.
    expect((await step.probe(ctx)).satisfied).toBe(true);
  });
});

describe("checkpoints in an OpenVZ → KVM run (scripted hosts)", () => {
  let stdout = "";
  beforeEach(() => {
    stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  /** The dry run of the plan with checkpoints as JSON (--format json), after checking that it exits 0. */
  let lastPlan = "";
  const jsonDryRun = async (): Promise<unknown> => {
    const stateDir = await tempDir("mudanza-ckpt-state-");
    lastPlan = await planWithCheckpoints();
    const code = await main(
      ["run", lastPlan, "--dry-run", "--format", "json", "--state-dir", stateDir],
      () => undefined,
    );
    expect(code).toBe(0);
    return JSON.parse(stdout);
  };

  it("the dry-run report lists the checkpoints a run would take and what each costs", async () => {
    const report = (await jsonDryRun()) as {
      checkpoints: Array<{ stepId: string; side: string; name: string; costBytes: number; costHow: string }>;
      warnings: Array<{ title: string }>;
      steps: Array<{ id: string; details: string[] }>;
    };
    expect(report.checkpoints.map((c) => `${c.stepId} ${c.side} ${c.name} ${c.costBytes}`)).toEqual([
      `checkpoint-before-update target ${UPDATE_NAME} ${4194304 * 1024}`,
      `checkpoint-before-update source ${UPDATE_NAME} 0`,
      `checkpoint-before-copy target ${TARGET_NAME} ${4194304 * 1024}`,
    ]);
    expect(report.checkpoints[0]!.costHow).toMatch(/RAM.*virsh dominfo/);
    expect(report.warnings.map((w) => w.title)).not.toContain("No checkpoints");
    // The plan's own path, to paste (new-user trial 7: the literal PLAN beside real paths).
    expect(report.steps.find((s) => s.id === "rsync")!.details).toContain(
      `undo: \`mudanza rollback ${lastPlan} --to ${TARGET_NAME}\` returns the target to checkpoint ${TARGET_NAME} (libvirt web1 on kvm1.example.org)`,
    );
  });

  it("a plan that names the target's checkpoint only: the step's title and the warning say so (new-user trial 7)", async () => {
    const path = await planWithCheckpoints();
    await writeFile(
      path,
      (await readFile(path, "utf8"))
        .split("\n")
        .filter((line) => !line.startsWith("  source: {via: vzctl"))
        .join("\n"),
    );
    const code = await main(
      ["run", path, "--dry-run", "--format", "json", "--state-dir", await tempDir("mudanza-ckpt-state-")],
      () => undefined,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      steps: Array<{ id: string; title: string }>;
      warnings: Array<{ title: string; remediation?: string }>;
    };
    expect(report.steps.find((s) => s.id === "checkpoint-before-update")?.title).toMatch(
      /^Checkpoint of the target before the pre-update step/,
    );
    expect(report.warnings.find((w) => w.title === "No checkpoints")?.remediation).toMatch(
      /^add checkpoints\.source to the plan's checkpoints section/,
    );
  });

  it("each Undo line names the step its checkpoint is taken before, not the checkpoint step (found by a new-user trial)", async () => {
    const { risk } = (await jsonDryRun()) as { risk: { undo: string[] } };
    const libvirt = `libvirt domain web1 on scripted:${HOSTS}/libvirt-checkpoints`;
    // the plan's own path, to paste (new-user trial 7: the literal PLAN)
    expect(risk.undo).toEqual([
      `\`mudanza rollback ${lastPlan} --to ${UPDATE_NAME}\` returns the target (${libvirt}) to its state just before the step "Update and reboot both hosts"`,
      `\`mudanza rollback ${lastPlan} --to ${UPDATE_NAME}\` returns the source (OpenVZ container 101 on scripted:${HOSTS}/openvz7-node) to its state just before the step "Update and reboot both hosts"`,
      `\`mudanza rollback ${lastPlan} --to ${TARGET_NAME}\` returns the target (${libvirt}) to its state just before the step "Copy the source's root onto the target (live passes)"`,
    ]);
  });

  it("the markdown dry run has a Checkpoints table", async () => {
    const stateDir = await tempDir("mudanza-ckpt-state-");
    expect(
      await main(["run", await planWithCheckpoints(), "--dry-run", "--state-dir", stateDir], () => undefined),
    ).toBe(0);
    expect(stdout).toContain("## Checkpoints");
    expect(stdout).toMatch(
      new RegExp(`\\| \`${TARGET_NAME}\` \\| target \\| libvirt domain web1 on scripted:.* \\| 4\\.0 GiB \\|`),
    );
  });

  it("a domain with a raw disk blocks the run before anything changes, saying what to do", async () => {
    const stateDir = await tempDir("mudanza-ckpt-state-");
    let stderr = "";
    const code = await main(
      ["run", await planWithCheckpoints("legacy"), "--yes", "--state-dir", stateDir],
      (t) => (stderr += t),
    );
    expect(code).toBe(3);
    expect(stdout + stderr).toMatch(/No checkpoint possible on the target/);
  });

  it.each([false, true])(
    "a --yes run takes each checkpoint before its step and journals it; the copy's gate names the one that undoes it (deleteCheckpointsWhenDone: %s)",
    async (deleteWhenDone) => {
      const {
        plan: base,
        source,
        target,
      } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 4, deleteCheckpointsWhenDone: deleteWhenDone });
      const withCheckpoints = (await import("../../../src/plan/load.js")).loadPlan;
      const plan = { ...((await withCheckpoints(await planWithCheckpoints())).plan as OvzPlan), options: base.options };
      simulate(source, target, {
        family: PAIRS.debian.family,
        kernel: PAIRS.debian.kernel,
        passBytes: [900_000_000, 40_000_000],
      });
      const { libvirt, vzctl } = await checkpointHosts();
      const stateDir = await tempDir("mudanza-ckpt-state-");
      const journal = await Journal.open({
        stateDir,
        migrationId: plan.name!,
        kind: plan.kind,
        planPath: "plan.yaml",
        planHash: "h",
      });
      const events: PipelineEvent[] = [];
      const outcome = await runPipeline({
        pipeline: buildOpenvzToKvm(plan),
        plan,
        hosts: { source, target, "target-checkpoints": libvirt, "source-checkpoints": vzctl },
        journal,
        mode: "yes",
        sink: (e) => events.push(e),
      });
      await journal.close();
      expect(outcome.message ?? "").toBe("");
      expect(exitCodeForRun(outcome)).toBe(0);
      const order = events.flatMap((e) => (e.type === "step-end" ? [`${e.stepId}:${e.status}`] : []));
      expect(order.slice(0, 6)).toEqual([
        "checkpoint-before-update:done",
        "pre-update:done",
        "release-match:done",
        "capture-target:done",
        "checkpoint-before-copy:done",
        "rsync:done",
      ]);
      expect(libvirt.mutations.map((m) => (m.kind === "exec" ? m.command : ""))).toEqual([
        `virsh -c qemu:///system snapshot-create-as web1 ${UPDATE_NAME} 'checkpoint taken by mudanza' --atomic`,
        `virsh -c qemu:///system snapshot-create-as web1 ${TARGET_NAME} 'checkpoint taken by mudanza' --atomic`,
        // A finished migration keeps its checkpoints unless the plan says to delete them (behind their own gate).
        ...(deleteWhenDone
          ? [
              `virsh -c qemu:///system snapshot-delete web1 ${UPDATE_NAME}`,
              `virsh -c qemu:///system snapshot-delete web1 ${TARGET_NAME}`,
            ]
          : []),
      ]);
      expect(vzctl.mutations).toHaveLength(deleteWhenDone ? 2 : 1);
      expect(order.at(-1)).toBe("delete-checkpoints:done");
      const deleteGate = events.find((e) => e.type === "prompt" && e.stepId === "delete-checkpoints");
      expect(deleteGate !== undefined).toBe(deleteWhenDone);
      const facts = (await Journal.read(journal.path))!.facts.checkpoints as Array<{
        side: string;
        purpose: string;
        name: string;
        deletedAt?: string;
      }>;
      // Deleted ones stay in the journal as history, marked: rollback no longer offers them.
      expect(facts.map((c) => Boolean(c.deletedAt))).toEqual(facts.map(() => deleteWhenDone));
      expect(facts.map((c) => `${c.purpose} ${c.side} ${c.name}`)).toEqual([
        `before-update target ${UPDATE_NAME}`,
        `before-update source ${UPDATE_NAME}`,
        `before-copy target ${TARGET_NAME}`,
      ]);
      const rsyncGate = events.find((e) => e.type === "prompt" && e.stepId === "rsync");
      expect(rsyncGate?.type === "prompt" && rsyncGate.details).toContain(
        `undo: \`mudanza rollback PLAN --to ${TARGET_NAME}\` returns the target to checkpoint ${TARGET_NAME} (libvirt web1 on kvm1.example.org)`,
      );
    },
  );
});
