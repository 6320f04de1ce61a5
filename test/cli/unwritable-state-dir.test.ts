import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { Journal } from "../../src/journal/journal.js";
import { pathKeyedStem } from "../../src/journal/journal-names.js";
import { useFailingWrites } from "../support/failing-writes.js";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const failWrites = useFailingWrites();
const PLAN = resolve("fixtures/plans/ovz-kvm-debian-12.yaml");

/** runMain, with what the CLI wrote straight to stderr as well. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let err = "";
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const result = await runMain(args);
    return { ...result, err: err + result.err };
  } finally {
    stderr.mockRestore();
  }
}

// What the run had stopped on a host is undone as on any failure: test/engine/unwritable-journal.test.ts.
// Found by a new-user trial: a state dir that filled up (or turned read-only) during a run gave exit 70 "internal
// error (this is a bug ...) Error: ENOSPC", and left .NAME.journal.json.PID.tmp and empty .lock files behind.
describe("run in a state dir that fills up", () => {
  it("during the run: exit 1 naming the state dir and the cause, a valid journal, nothing left behind", async () => {
    const state = await tempDir("mudanza-full-");
    // The run's start is journaled; the state dir is full from the next write on (the first step's).
    let journalWrites = 0;
    await failWrites((text) => text.includes('"migrationId"') && ++journalWrites > 1);
    const { code, out, err } = await run(["run", PLAN, "--yes", "--json", "--state-dir", state]);
    expect(journalWrites).toBeGreaterThan(1);
    expect(err).not.toContain("internal error");
    expect(code).toBe(1);
    const events = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.at(-1)).toMatchObject({ type: "pipeline-end", status: "failed", exitCode: 1 });
    expect(events.at(-1)?.message).toContain(`cannot write in the state dir ${state}: ENOSPC`);

    const stem = pathKeyedStem("ovz-kvm-debian-12", PLAN);
    // As saved at the run's start: the run is recorded, its first step still pending.
    const journal = await Journal.read(join(state, `${stem}.journal.json`));
    expect(journal?.runs).toMatchObject([{ mode: "yes" }]);
    expect(Object.values(journal?.steps ?? {}).filter((s) => s.status !== "pending")).toEqual([]);
    const left = await readdir(state);
    expect(left.filter((f) => f.endsWith(".tmp") || f.endsWith(".lock"))).toEqual([]);
    // The run log (appended, not rewritten like the journal) tells why the run ended; torn lines: run-log.test.ts.
    const logged = (await readFile(join(state, `${stem}.log.ndjson`), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.at(-1)).toMatchObject({ type: "pipeline-end", status: "failed" });
    expect(logged.at(-1)?.message).toContain(`cannot write in the state dir ${state}: ENOSPC`);
  });

  it.each([
    ["the journal's lock", 1],
    ["the source and target's lock", 2],
  ])("refused at start-up (%s cannot be written): exit 2 naming the state dir, no lock file left", async (_, which) => {
    const state = await tempDir("mudanza-full-");
    let locks = 0;
    await failWrites((text) => text.includes('"pid"') && ++locks >= which);
    const { code, err } = await run(["run", PLAN, "--yes", "--state-dir", state]);
    expect(locks).toBe(which);
    expect(err).not.toContain("internal error");
    expect(code).toBe(2);
    expect(err).toContain(`cannot write in the state dir ${state}: ENOSPC`);
    expect((await readdir(state)).filter((f) => f.endsWith(".lock") || f.endsWith(".tmp"))).toEqual([]);
  });
});
