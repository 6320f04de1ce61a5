import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runMain as cli } from "../support/main-cli.js";
import { journalStemFor } from "../../src/journal/journal-file.js";
import type { JournalData } from "../../src/journal/journal.js";
import { renderStatus } from "../../src/report/status-report.js";
import { openPlanJournal } from "../support/plan-journal.js";
import { start } from "../tui/events.js";
import { expectValid, printedSchema } from "../support/printed-schema.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-runs-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** A plan file named `web1` in its own folder, and a journal for it as `mudanza run` would open it. */
async function planWithJournal(folder: string, outcome: string, stepMessage?: string): Promise<string> {
  await mkdir(join(dir, folder));
  const planPath = join(dir, folder, "plan.yaml");
  await writeFile(
    planPath,
    `kind: openvz-to-kvm\nname: web1\nsource: {host: ${folder}.example.org}\ntarget: {host: vm.example.org}\n`,
  );
  const state = join(dir, "state");
  const { journal } = await openPlanJournal(planPath, state, { withTextHash: true });
  await journal.startRun("yes");
  await journal.updateStep("pre-update", { status: outcome === "done" ? "done" : "failed", message: stepMessage });
  await journal.setFact("freezeWindowSec", 42);
  await journal.endRun(outcome);
  await journal.close();
  return planPath;
}

/** A run of plan `web1` under way: its journal open in this process (which holds its lock, as a live run does). */
async function runUnderWay(mode: "yes" | "interactive") {
  await mkdir(join(dir, "a"));
  const planPath = join(dir, "a", "plan.yaml");
  await writeFile(
    planPath,
    "kind: openvz-to-kvm\nname: web1\nsource: {host: a.example.org}\ntarget: {host: vm.example.org}\n",
  );
  const state = join(dir, "state");
  const { journal } = await openPlanJournal(planPath, state, { withTextHash: true });
  await journal.startRun(mode);
  return { planPath, state, journal };
}

describe('a run that recorded no outcome (found by a new-user trial: runs said killed, status "still running or killed")', () => {
  it("runs and status agree: running while its lock is held, killed once it is not", async () => {
    const { planPath, state, journal } = await runUnderWay("yes");
    const stateOf = async () => {
      const runs = (await cli(["runs", "--state-dir", state])).out;
      const status = (await cli(["status", planPath, "--state-dir", state])).out;
      return {
        runs: runs.split("\n").find((line) => line.startsWith("web1"))!,
        status: /^Last run: .*$/m.exec(status)![0],
        // the raw journal cannot tell running from killed: --format json says which beside it (trial 8, finding 11)
        json: JSON.parse((await cli(["status", planPath, "--state-dir", state, "--format", "json"])).out) as unknown,
      };
    };
    const live = await stateOf(); // this process holds the lock, as a live run does
    expect(live.runs).toMatch(/\brunning\b/);
    expect(live.status).toMatch(/, running \(a live mudanza holds its lock\)$/);
    expect(live.json).toMatchObject({ state: "running" });
    await journal.close(); // the run is gone without endRun: what a SIGKILL leaves
    const dead = await stateOf();
    expect(dead.runs).toMatch(/\bkilled\b/);
    expect(dead.json).toMatchObject({ state: "killed", migrationId: expect.any(String) as unknown });
    expect(dead.status).toMatch(/, killed \(it ended without recording an outcome; run the plan again to resume\)$/);
  });
});

describe('a run at a gate (found by a new-user trial: runs said "pre-update (running)" where nothing of it ran)', () => {
  it("runs says it waits for confirmation while its lock is held, and that it was killed there once not, as status does", async () => {
    const { planPath, state, journal } = await runUnderWay("interactive");
    // What an interactive run leaves before its gate's answer: the step journaled running, the prompt in its log.
    await journal.updateStep("pre-update", { status: "running" });
    const at = "2026-12-04T08:22:43.262Z";
    const title = "Update and reboot both hosts";
    const log = [
      start({ at, mode: "interactive", steps: [{ id: "pre-update", title, destructive: true, status: "pending" }] }),
      { type: "prompt", at, stepId: "pre-update", title, commands: [], details: [] },
    ];
    await writeFile(
      journal.path.replace(/\.journal\.json$/, ".log.ndjson"),
      log.map((e) => JSON.stringify(e) + "\n").join(""),
    );
    const rowOf = async () =>
      (await cli(["runs", "--state-dir", state])).out.split("\n").find((line) => line.startsWith("web1"))!;
    const live = await rowOf(); // this process holds the lock, as the run waiting at its gate does
    expect(live).toMatch(/\brunning +pre-update \(waiting for confirmation\) /);
    expect((await cli(["status", planPath, "--state-dir", state])).out).toContain(`waiting at the gate of "${title}"`);
    await journal.close(); // the run is gone without endRun: what a kill -9 at the gate leaves
    expect(await rowOf()).toMatch(/\bkilled +pre-update \(killed at its confirmation, nothing of it ran\) /);
    const json = JSON.parse((await cli(["runs", "--format", "json", "--state-dir", state])).out) as {
      runs: Array<{ stepId: string; stepStatus: string }>;
    };
    expect(json.runs[0]).toMatchObject({ stepId: "pre-update", stepStatus: "killed-at-confirmation" });
  });
});

describe("runs you can find", () => {
  it("two plan files with the same name keep their own journals; status shows each one's own", async () => {
    const a = await planWithJournal("a", "done");
    const b = await planWithJournal("b", "failed", "boom");
    const state = join(dir, "state");
    const statusA = await cli(["status", a, "--state-dir", state]);
    expect(statusA.code).toBe(0);
    expect(statusA.out).toContain(`plan ${a}`);
    expect(statusA.out).toMatch(/Journal: .*web1\.[0-9a-f]{8}\.journal\.json/);
    expect(statusA.out).not.toContain("changed");
    const statusB = await cli(["status", b, "--state-dir", state]);
    expect(statusB.out).toContain(`plan ${b}`);
    expect(statusB.out).toContain("boom");
    // The journal as one JSON document is --format json (--json is NDJSON events everywhere).
    const json = await cli(["status", b, "--state-dir", state, "--format", "json"]);
    expect((JSON.parse(json.out) as { planPath: string }).planPath).toBe(b);
  });

  it("sees a plan edited after its run, and not a comment added to it", async () => {
    const plan = await planWithJournal("a", "failed", "boom");
    const state = join(dir, "state");
    const status = async (target: string) => (await cli(["status", target, "--state-dir", state])).out;
    const id = /Journal: .*\/(web1\.[0-9a-f]{8})\.journal\.json/.exec(await status(plan))![1]!;
    expect(await status(plan)).toContain("pre-update");
    expect(await status(plan)).not.toContain("WARNING");
    const text = await readFile(plan, "utf8");
    await writeFile(plan, text.replace("vm.example.org", "vm2.example.org"));
    for (const target of [plan, id]) expect(await status(target)).toContain("WARNING: the plan file changed");
    await writeFile(plan, `# the same plan\n${text}`);
    for (const target of [plan, id]) {
      expect(await status(target)).toContain("boom");
      expect(await status(target)).not.toContain("WARNING");
    }
  });

  it("keeps using a journal named by the plan's name alone when it is this plan's", async () => {
    const state = join(dir, "state");
    await mkdir(state);
    const legacy: JournalData = {
      version: 1,
      migrationId: "web1",
      kind: "openvz-to-kvm",
      planPath: "/plans/web1.yaml",
      planHash: "h",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      steps: {},
      facts: {},
      compensations: [],
      compensationLog: [],
      runs: [],
    };
    await writeFile(join(state, "web1.journal.json"), JSON.stringify(legacy));
    expect(await journalStemFor(state, "web1", "/plans/web1.yaml")).toBe("web1");
    expect(await journalStemFor(state, "web1", "/elsewhere/web1.yaml")).toMatch(/^web1\.[0-9a-f]{8}$/);
  });

  it("`runs` and a bare `status` list every run: state, step, freeze window, when, plan file", async () => {
    const a = await planWithJournal("a", "done");
    const b = await planWithJournal("b", "failed", "line one\nline two");
    const state = join(dir, "state");
    const runs = await cli(["runs", "--state-dir", state]);
    expect(runs.code).toBe(0);
    const lines = runs.out.split("\n");
    expect(lines[1]).toMatch(/^ID\s+KIND\s+STATE\s+STEP\s+FREEZE\s+STARTED\s+PLAN$/);
    expect(runs.out).toMatch(
      new RegExp(
        `web1\\.[0-9a-f]{8}\\s+openvz-to-kvm\\s+failed\\s+pre-update \\(failed\\)\\s+42 s\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ\\s+${b}`,
      ),
    );
    expect(runs.out).toMatch(new RegExp(`done\\s+after pre-update\\s+42 s.*${a}`));
    expect((await cli(["status", "--state-dir", state])).out).toBe(runs.out);
    const id = /^(web1\.[0-9a-f]{8})\s.*failed/m.exec(runs.out)![1]!;
    const byId = await cli(["status", id, "--state-dir", state]);
    expect(byId.out).toContain(`plan ${b}`);
    const ambiguous = await cli(["status", "web1", "--state-dir", state]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toContain("names 2 runs");
  });

  it("`runs --format json` (and a bare `status --format json`): the same runs for scripts, the freeze and times as values (found by a new-user trial)", async () => {
    const a = await planWithJournal("a", "done");
    const b = await planWithJournal("b", "failed", "boom");
    const state = join(dir, "state");
    const runs = await cli(["runs", "--state-dir", state, "--format", "json"]);
    expect(runs.code).toBe(0);
    const document = JSON.parse(runs.out) as {
      version: number;
      stateDir: string;
      runs: Array<Record<string, unknown>>;
    };
    expect(document.version).toBe(1);
    expect(document.stateDir).toBe(state);
    // where each run stands as two values, the step and how it stands there (new-user trial, finding 7)
    expect(document.runs.map((r) => [r.plan, r.state, r.stepId, r.stepStatus])).toEqual(
      expect.arrayContaining([
        [a, "done", "pre-update", "done"],
        [b, "failed", "pre-update", "failed"],
      ]),
    );
    for (const run of document.runs) {
      expect(run).toMatchObject({ kind: "openvz-to-kvm", freezeWindowSec: 42, commandLine: null, error: null });
      expect(run.journal).toMatch(/\/web1\.[0-9a-f]{8}\.journal\.json$/);
      expect(run.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    }
    expect((await cli(["status", "--state-dir", state, "--format", "json"])).out).toBe(runs.out);
    const ndjson = await cli(["runs", "--state-dir", state, "--json"]);
    expect(ndjson.code).toBe(2);
    expect(ndjson.err).toContain("--format json");
  });
});

describe("an unreadable journal in `runs` (found by a new-user trial: its error in the STEP column made every row ~390 characters wide)", () => {
  it("says unreadable in its row and the error on a line of its own below the table; --format json says it in error, the rest null", async () => {
    await planWithJournal("a", "done");
    const state = join(dir, "state");
    const damaged = join(state, "old.journal.json");
    await writeFile(damaged, "{ cut off");
    const runs = await cli(["runs", "--state-dir", state]);
    expect(runs.code).toBe(0);
    const lines = runs.out.split("\n");
    const table = lines.slice(1, lines.indexOf(""));
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/^ID\s+KIND\s+STATE\s+STEP\s+FREEZE\s+STARTED\s+PLAN$/);
    expect(table.find((l) => l.startsWith("old "))).toMatch(/^old\s+\?\s+unreadable\s+\(see below\)\s+/);
    // The columns before PLAN (the last, not padded) hold no error text.
    expect(table[0]!.indexOf("PLAN")).toBeLessThan(120);
    for (const line of table) expect(line).not.toContain("damaged");
    const problem = `the journal ${damaged} is damaged (`;
    const below = lines.slice(lines.indexOf("Unreadable:") + 1);
    expect(lines).toContain("Unreadable:");
    expect(below[0]!.startsWith(`  old: ${problem}`), below[0]).toBe(true);
    expect(below[0]).toContain("run again with --restart");

    const json = JSON.parse((await cli(["runs", "--state-dir", state, "--format", "json"])).out) as {
      runs: Array<Record<string, unknown>>;
    };
    const old = json.runs.find((r) => r.id === "old");
    // no "?" kind, no message as the step, no journal as the plan (new-user trial, finding 7)
    expect(old).toMatchObject({
      state: "unreadable",
      journal: damaged,
      kind: null,
      stepId: null,
      stepStatus: null,
      plan: null,
      commandLine: null,
      updatedAt: null,
    });
    expect(old?.error).toContain(problem);
    expect(old?.error).toContain("run again with --restart");
    expect(json.runs.at(-1)).toBe(old); // unreadable journals last
  });
});

describe("runs --format json against its published schema (mudanza schema runs; new-user trial, finding 6)", () => {
  it("a plan's runs, an image command's, one not started and an unreadable journal all validate, bare status's too", async () => {
    const plan = await planWithJournal("a", "failed", "boom");
    const state = join(dir, "state");
    const journalOf = (migrationId: string, planPath: string): JournalData => ({
      version: 1,
      migrationId,
      kind: "image-clone",
      planPath,
      planHash: "h",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      steps: { "inspect-base": { status: "done", attempts: 1 }, "create-overlays": { status: "pending", attempts: 0 } },
      facts: {},
      compensations: [],
      compensationLog: [],
      runs: [{ startedAt: "2026-01-01T00:00:00.000Z", mode: "yes", outcome: "done" }],
    });
    const commandLine = "mudanza image clone /v/base.qcow2 --count 2";
    await writeFile(
      join(state, "clone.journal.json"),
      JSON.stringify(journalOf("clone", `(arguments) ${commandLine}`)),
    );
    const fresh = { ...journalOf("fresh", "/plans/fresh.yaml"), steps: {}, runs: [] };
    await writeFile(join(state, "fresh.journal.json"), JSON.stringify(fresh));
    await writeFile(join(state, "old.journal.json"), "{ cut off");

    const validate = await printedSchema("runs");
    const runs = await cli(["runs", "--state-dir", state, "--format", "json"]);
    expectValid(validate, runs.out);
    expectValid(validate, (await cli(["status", "--state-dir", state, "--format", "json"])).out);
    const byId = Object.fromEntries(
      (JSON.parse(runs.out) as { runs: Array<{ id: string }> }).runs.map((r) => [r.id.split(".")[0], r]),
    );
    expect(byId["web1"]).toMatchObject({ plan, commandLine: null, stepId: "pre-update", stepStatus: "failed" });
    expect(byId["clone"]).toMatchObject({ kind: "image-clone", plan: null, commandLine, stepId: "inspect-base" });
    expect(byId["fresh"]).toMatchObject({ state: "not run", stepId: null, stepStatus: null, startedAt: null });
    expect(byId["old"]).toMatchObject({ state: "unreadable", kind: null, error: expect.any(String) as unknown });
    // The schema can say no: a step in words as before, a run without its error field, a document without version.
    const [first] = (JSON.parse(runs.out) as { runs: Array<Record<string, unknown>> }).runs;
    const { error: _error, ...withoutError } = first!;
    const documentOf = (run: object) => ({ version: 1, stateDir: state, runs: [run] });
    expect(validate(documentOf(first!))).toBe(true);
    expect(validate(documentOf({ ...first, stepStatus: "pre-update (failed)" }))).toBe(false);
    expect(validate(documentOf(withoutError))).toBe(false);
    expect(validate({ stateDir: state, runs: [] })).toBe(false);
  });
});

describe("status", () => {
  const journal = (message: string, title = "x"): JournalData => ({
    version: 1,
    migrationId: "web1",
    kind: "openvz-to-kvm",
    planPath: "/plans/web1.yaml",
    planHash: "h",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    steps: { [title]: { status: "failed", message, attempts: 1 }, after: { status: "pending", attempts: 0 } },
    facts: {},
    compensations: [],
    compensationLog: [],
    runs: [{ startedAt: "2026-01-01T00:00:00.000Z", mode: "yes", outcome: "failed" }],
  });
  const end = {
    type: "pipeline-end" as const,
    at: "2026-01-01T00:00:01.000Z",
    status: "failed" as const,
    resumeCommand: "mudanza run /plans/web1.yaml --yes",
    journal: "/s/web1.journal.json",
  };

  it("keeps long titles whole and multi-line errors under their column; says how the last run ran", () => {
    const long = "Copy the guest to the node while it runs, then once more after it stopped";
    const text = renderStatus(journal("first line\nsecond line", long), "h", [end]);
    expect(text).toContain(long);
    expect(text).toContain("Last run: with --yes");
    const rows = text.split("\n");
    const first = rows.findIndex((l) => l.endsWith("first line"));
    expect(rows[first + 1]!.indexOf("second line")).toBe(rows[first]!.indexOf("first line"));
    expect(rows[first + 2]).toMatch(/^ {2}○ pending\s+after$/);
  });

  it("offers a resume only when it would be accepted", () => {
    expect(renderStatus(journal("boom"), "h", [end])).toContain("Resume with: mudanza run /plans/web1.yaml --yes");
    const changed = renderStatus(journal("boom"), "other", [end]);
    expect(changed).not.toContain("Resume with:");
    expect(changed).toContain("Resuming would be refused: the plan changed");
    const gone = renderStatus(journal("boom"), undefined, [end], {
      planProblem: "the plan cannot be read now (ENOENT)",
    });
    expect(gone).not.toContain("Resume with:");
  });

  it("after a failure that resuming would repeat, offers to start over instead, even with the plan changed", () => {
    const restartCommand = "mudanza run /plans/web1.yaml --yes --restart";
    const repeats = { ...end, resumeCommand: undefined, resumeRepeatsFailure: true, restartCommand };
    const text = renderStatus(journal("boom"), "h", [repeats]);
    expect(text).toContain(`Resuming would only repeat this failure; start over with: ${restartCommand}`);
    expect(text).not.toContain("Resume with:");
    // --restart starts over from the plan as it is now: a changed plan does not refuse it.
    expect(renderStatus(journal("boom"), "other", [repeats])).toContain(`start over with: ${restartCommand}`);
    const gone = renderStatus(journal("boom"), undefined, [repeats], { planProblem: "the plan cannot be read now" });
    expect(gone).toContain("Starting over would be refused: the plan cannot be read now");
    const moved = renderStatus(journal("boom"), "h", [repeats], { stateDirs: { now: "/copy", default: "/s" } });
    expect(moved).toContain(`start over with: ${restartCommand} --state-dir /copy`);
  });
});

describe("a dry run while another run holds the journal (found by a new-user trial: it said Ready, and a run was refused)", () => {
  it("says that run holds it, by its pid, and that a run now would be refused; without a holder it says nothing of it", async () => {
    const planPath = join(dir, "ovz.yaml");
    const fixture = join(process.cwd(), "fixtures", "plans", "ovz-kvm-debian-12.yaml");
    // the fixture's own folder is relative to the plan: read it from there
    await writeFile(
      planPath,
      (await readFile(fixture, "utf8")).replace(
        /fixture: (\S+)/g,
        (_, to: string) => `fixture: ${join(process.cwd(), "fixtures", "plans", to)}`,
      ),
    );
    const state = join(dir, "state");
    // what the run said on stderr (main's own error channel holds only its final error)
    const dryRun = async () => {
      let said = "";
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((said += String(chunk)), true));
      try {
        const { code } = await cli(["run", planPath, "--dry-run", "--state-dir", state]);
        return { code, err: said };
      } finally {
        stderr.mockRestore();
      }
    };
    const { journal } = await openPlanJournal(planPath, state, { withTextHash: true });
    await journal.startRun("interactive"); // this process holds the lock, as a run waiting at a gate does
    const held = await dryRun();
    expect(held.err).toContain(`mudanza: another mudanza run holds this journal (pid ${process.pid}, running since `);
    expect(held.err).toContain("a run now would be refused until it ends");
    await journal.close();
    expect((await dryRun()).err).not.toContain("another mudanza run");
  });
});

describe("status PLAN --format json against its published schema (mudanza schema status; new-user trial, finding 6)", () => {
  it("a finished run, one under way and one killed all validate, with their state beside the journal", async () => {
    const validate = await printedSchema("status");
    const finished = await planWithJournal("b", "failed", "boom");
    const { planPath, state, journal } = await runUnderWay("yes");
    const json = async (plan: string) => (await cli(["status", plan, "--state-dir", state, "--format", "json"])).out;
    const states: unknown[] = [];
    for (const printed of [await json(finished), await json(planPath)]) {
      expectValid(validate, printed);
      states.push((JSON.parse(printed) as { state: unknown }).state);
    }
    await journal.close(); // the run is gone without endRun: what a SIGKILL leaves
    const killed = await json(planPath);
    expectValid(validate, killed);
    expect([...states, (JSON.parse(killed) as { state: unknown }).state]).toEqual(["failed", "running", "killed"]);
    // The schema can say no: the journal alone, without the state its lock tells.
    const { state: _state, ...journalAlone } = JSON.parse(killed) as Record<string, unknown>;
    expect(validate(journalAlone)).toBe(false);
  });
});
