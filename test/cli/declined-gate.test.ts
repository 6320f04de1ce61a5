import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline, type RunMode } from "../../src/engine/runner.js";
import { connectHost } from "../../src/hosts/connect.js";
import { Journal } from "../../src/journal/journal.js";
import { buildPipeline } from "../../src/pipelines/registry.js";
import { declinedGateHint } from "../../src/plan/kind-docs.js";
import { loadPlan } from "../../src/plan/load.js";

const FIXTURES = resolve(import.meta.dirname, "../../fixtures");
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-decline-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The debian-12 fixture plan, copied with absolute fixture paths so it can live in a temp dir and be edited. */
async function writePlan(extraOptions: string): Promise<string> {
  const text = (await readFile(join(FIXTURES, "plans/ovz-kvm-debian-12.yaml"), "utf8")).replaceAll(
    "../hosts/",
    `${FIXTURES}/hosts/`,
  );
  const path = join(dir, "web1.yaml");
  await writeFile(path, text.replace("options:\n", `options:\n${extraOptions}`));
  return path;
}

/** What `mudanza run` does, with a scripted answer at each gate. */
async function run(
  planPath: string,
  mode: RunMode,
  answer: (stepId: string) => boolean,
  insteadOfResuming?: (declinedStepId: string | undefined) => string,
) {
  const loaded = await loadPlan(planPath);
  const pipeline = await buildPipeline(loaded.plan);
  const resumeCommand = `mudanza run ${loaded.path}`;
  const journal = await Journal.open({
    stateDir: dir,
    migrationId: loaded.migrationId,
    kind: loaded.plan.kind,
    planPath: loaded.path,
    planHash: loaded.hash,
    planKeyHashes: loaded.keyHashes,
    formerPlanHashes: loaded.formerHashes,
  });
  const hosts = {
    source: await connectHost(loaded.plan.source, "source"),
    target: await connectHost(loaded.plan.target, "target"),
  };
  const events: PipelineEvent[] = [];
  try {
    const outcome = await runPipeline({
      pipeline,
      plan: loaded.plan,
      hosts,
      journal,
      mode,
      sink: (e) => events.push(e),
      confirm: async (prompt) => answer(prompt.stepId),
      resumeCommand,
      declinedHint: (stepId) => declinedGateHint(loaded.plan.kind, stepId, loaded.path, resumeCommand),
      insteadOfResuming,
      logPath: join(dir, "run.log.ndjson"),
    });
    return { outcome, events };
  } finally {
    await journal.close();
  }
}

describe("a declined gate", () => {
  it("names the option that skips the step, and a resume with that option edited in is accepted", async () => {
    const planPath = await writePlan("");
    const first = await run(planPath, "interactive", (id) => id !== "pre-update");
    expect(first.outcome.status).toBe("declined");
    expect(first.outcome.message).toContain(`options.skipPreUpdate: true in ${planPath}`);
    expect(first.outcome.message).toContain(`mudanza run ${planPath}`);

    await writePlan("  skipPreUpdate: true\n");
    const second = await run(planPath, "interactive", () => false);
    const preUpdateEnd = second.events.find((e) => e.type === "step-end" && e.stepId === "pre-update");
    expect(preUpdateEnd).toMatchObject({ status: "skipped" });
    expect(second.outcome.message ?? "").not.toContain("changed since");
  });

  it("still refuses any other edit of the plan on resume", async () => {
    const planPath = await writePlan("");
    expect((await run(planPath, "interactive", () => false)).outcome.status).toBe("declined");
    await writePlan("  cutover: true\n");
    // It names what changed (found by a new-user trial): the admin looks for one line, not a diff.
    const refused = run(planPath, "interactive", () => false);
    await expect(refused).rejects.toThrow(
      /changed since migration "ovz-kvm-debian-12" started \(journal .*\): changed: options\.cutover\.\n/,
    );
    // --restart keeps the journal (found by a new-user trial: this said it was then discarded).
    await expect(refused).rejects.toThrow(
      "start over with --restart (a new journal; this one is kept as JOURNAL.before-restart-TIME;",
    );
    await expect(refused).rejects.not.toThrow(/discard/);
  });

  it("of a run whose files go as it ends (the demo's lab): its end names none of them, and says what to do instead (new-user trial 9, finding 2)", async () => {
    const planPath = await writePlan("");
    const normal = await run(planPath, "interactive", (id) => id !== "pre-update");
    expect(normal.events.at(-1)).toMatchObject({
      resumeCommand: `mudanza run ${planPath}`,
      journal: expect.any(String),
    });
    const { events } = await run(
      planPath,
      "interactive",
      (id) => id !== "pre-update",
      (declined) => `torn down; declined ${declined}`,
    );
    // As written on the wire: a field left undefined is not there.
    const end = JSON.parse(JSON.stringify(events.at(-1))) as Record<string, unknown>;
    expect(end).toMatchObject({ type: "pipeline-end", insteadOfResuming: "torn down; declined pre-update" });
    expect(end).not.toHaveProperty("resumeCommand");
    expect(end).not.toHaveProperty("journal");
    expect(end).not.toHaveProperty("log");
  });

  it("a step without a skip option says to run again", () => {
    expect(declinedGateHint("openvz-to-kvm", "rsync", "/p.yaml", "mudanza run /p.yaml")).toBe(
      "Run again to be asked again: mudanza run /p.yaml",
    );
  });

  it("a journal written before skip options were ignored by the hash still opens, and is upgraded", async () => {
    const planPath = await writePlan("");
    const loaded = await loadPlan(planPath);
    expect(loaded.formerHashes[1]).not.toBe(loaded.hash); // how 0.1.0 hashed it (after defaults)
    const old = await Journal.open({
      stateDir: dir,
      migrationId: loaded.migrationId,
      kind: loaded.plan.kind,
      planPath,
      planHash: loaded.formerHashes[1]!,
    });
    await old.startRun("yes");
    await old.close();
    const reopened = await Journal.open({
      stateDir: dir,
      migrationId: loaded.migrationId,
      kind: loaded.plan.kind,
      planPath,
      planHash: loaded.hash,
      formerPlanHashes: loaded.formerHashes,
    });
    expect(reopened.snapshot.planHash).toBe(loaded.hash);
    expect(reopened.snapshot.runs).toHaveLength(1);
    await reopened.close();
  });
});
