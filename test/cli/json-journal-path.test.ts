import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pipelineEventSchema, type EventOf, type PipelineEvent } from "../../src/engine/events.js";
import { main } from "../../src/cli/program.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");

let state = "";
beforeEach(async () => {
  journalThereAtStart = [];
  state = await mkdtemp(join(tmpdir(), "mudanza-json-journal-"));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

/** For each pipeline-start that named a journal: whether the file existed as the event was written. */
let journalThereAtStart: boolean[] = [];

/** The --json events of one CLI run on the fixture plan's scripted hosts. */
async function events(flags: string[]): Promise<PipelineEvent[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    // Where pipeline-start names a journal, the file is there as the event is written, not only later.
    for (const line of String(chunk).split("\n").filter(Boolean)) {
      const event = JSON.parse(line) as { type: string; journal?: string };
      if (event.type === "pipeline-start" && event.journal) journalThereAtStart.push(existsSync(event.journal));
    }
    return true;
  });
  try {
    await main(["run", PLAN, "--json", "--state-dir", state, ...flags], () => undefined);
  } finally {
    spy.mockRestore();
  }
  return written
    .join("")
    .trim()
    .split("\n")
    .map((line) => pipelineEventSchema.parse(JSON.parse(line)));
}

const journalsNamed = (list: PipelineEvent[]): Array<string | undefined> =>
  list.flatMap((e) => (e.type === "pipeline-start" || e.type === "pipeline-end" ? [e.journal] : []));

describe("--json names the journal only where there is one (found by a new-user trial)", () => {
  it("a dry run of a plan that never ran names none: it writes nothing", async () => {
    const dry = await events(["--dry-run"]);
    expect(journalsNamed(dry)).toEqual([undefined, undefined]);
  });

  it("a run names its journal from its start, and the file is there; a dry run after it names it too", async () => {
    const run = await events(["--yes"]);
    const named = journalsNamed(run);
    expect(named).toHaveLength(2);
    expect(named[0]).toMatch(/\.journal\.json$/);
    expect(named[1]).toBe(named[0]);
    expect(existsSync(named[0]!)).toBe(true);
    expect(journalThereAtStart).toEqual([true]);
    const dry = await events(["--dry-run"]);
    expect(journalsNamed(dry)).toEqual([named[0], named[0]]);
  });
});

// New-user trial 11: a CI job that archives the dry-run report, or the journal a --restart set aside, had to
// scrape stderr for their paths.
describe("--json's end names the files a job archives", () => {
  const endOf = (list: PipelineEvent[]) => list.find((e) => e.type === "pipeline-end") as EventOf<"pipeline-end">;

  it("a dry run's end names its report file, which is there once the command ends; a run's end names none", async () => {
    const dry = endOf(await events(["--dry-run"]));
    expect(dry.report).toMatch(/\.dry-run\.md$/);
    expect(readFileSync(dry.report!, "utf8")).toContain("# Dry run");
    const asJson = endOf(await events(["--dry-run", "--format", "json"]));
    expect(asJson.report).toMatch(/\.dry-run\.json$/);
    expect(JSON.parse(readFileSync(asJson.report!, "utf8"))).toHaveProperty("reportVersion");
    expect(endOf(await events(["--yes"])).report).toBeUndefined();
  });

  it("--restart's end names the journal it set aside, which holds the earlier run; a first run names none", async () => {
    const first = endOf(await events(["--yes"]));
    expect(first.journalBeforeRestart).toBeUndefined();
    const earlier = readFileSync(first.journal!, "utf8");
    const restarted = endOf(await events(["--yes", "--restart"]));
    expect(restarted.journalBeforeRestart).toMatch(/\.journal\.json\.before-restart-/);
    expect(readFileSync(restarted.journalBeforeRestart!, "utf8")).toBe(earlier);
  });
});
