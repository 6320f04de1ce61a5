import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { pathKeyedStem } from "../../src/journal/journal-names.js";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const PLAN = resolve("fixtures/plans/ovz-kvm-debian-12.yaml");

/** runMain, with what the CLI wrote straight to stderr (drive-pipeline's notes) as well. */
async function runWithStderr(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const result = await runMain(args);
    return { code: result.code, err: err + result.err };
  } finally {
    stderr.mockRestore();
  }
}

describe("run --restart (found by a new-user trial: --restart --yes discarded the journal without a word)", () => {
  it("says this run starts a new journal and keeps a copy of the earlier one, one per restart", async () => {
    const state = await tempDir("mudanza-restart-");
    const journal = join(state, `${pathKeyedStem("ovz-kvm-debian-12", PLAN)}.journal.json`);
    await runWithStderr(["run", PLAN, "--yes", "--state-dir", state]);
    const earlier = await readFile(journal, "utf8");
    expect(JSON.parse(earlier).runs).toHaveLength(1);
    const keptAs = (err: string) => /the earlier one is kept as (\S+)$/m.exec(err)?.[1];

    const { err } = await runWithStderr(["run", PLAN, "--yes", "--restart", "--state-dir", state]);
    expect(err).toContain("--restart: this run starts a new journal; the earlier one is kept as");
    const copy = keptAs(err);
    expect(copy?.startsWith(`${journal}.before-restart-`)).toBe(true);
    expect(await readFile(copy!, "utf8")).toBe(earlier);

    // A second --restart keeps its own copy: the first stays as it was.
    const second = keptAs((await runWithStderr(["run", PLAN, "--yes", "--restart", "--state-dir", state])).err);
    expect(second).toBeDefined();
    expect(second).not.toBe(copy);
    expect(await readFile(copy!, "utf8")).toBe(earlier);

    // A first run with --restart has nothing to replace, and says nothing.
    const fresh = await tempDir("mudanza-restart-");
    const first = await runWithStderr(["run", PLAN, "--yes", "--restart", "--state-dir", fresh]);
    expect(first.err).not.toContain("kept as");
    expect((await readdir(fresh)).filter((f) => f.includes("before-restart"))).toEqual([]);
  });

  it("with --dry-run says it checked as a restart would and started nothing over (found by a new-user trial: it said so nowhere)", async () => {
    const state = await tempDir("mudanza-restart-");
    const journal = join(state, `${pathKeyedStem("ovz-kvm-debian-12", PLAN)}.journal.json`);
    const note = `mudanza: --restart with --dry-run: checked as a run that starts over would be; nothing started over and the journal ${journal} is unchanged (leave out --dry-run to start over)`;
    // Without a journal there is nothing to start over: no word of it.
    expect((await runWithStderr(["run", PLAN, "--dry-run", "--restart", "--state-dir", state])).err).not.toContain(
      "--restart",
    );
    await runWithStderr(["run", PLAN, "--yes", "--state-dir", state]);
    const earlier = await readFile(journal, "utf8");
    const dry = await runWithStderr(["run", PLAN, "--dry-run", "--restart", "--state-dir", state]);
    expect(dry.code).toBe(0);
    expect(dry.err.split("\n")).toContain(note);
    expect(await readFile(journal, "utf8")).toBe(earlier);
    expect((await readdir(state)).filter((f) => f.includes("before-restart"))).toEqual([]);
    expect((await runWithStderr(["run", PLAN, "--dry-run", "--state-dir", state])).err).not.toContain("--restart");
  });

  it("says so wherever --restart is offered: a damaged journal's message and run's and image's --help (found by a new-user trial: they said it discards the journal)", async () => {
    const state = await tempDir("mudanza-restart-");
    const journal = join(state, `${pathKeyedStem("ovz-kvm-debian-12", PLAN)}.journal.json`);
    await writeFile(journal, "{ cut off");
    const damaged = await runWithStderr(["run", PLAN, "--yes", "--state-dir", state]);
    expect(damaged.code).toBe(2);
    expect(damaged.err).toContain(
      "run again with --restart to start over with a new journal (this one is kept as JOURNAL.before-restart-TIME)",
    );
    const restarted = await runWithStderr(["run", PLAN, "--yes", "--restart", "--state-dir", state]);
    const copy = /the earlier one is kept as (\S+)$/m.exec(restarted.err)?.[1];
    expect(await readFile(copy!, "utf8")).toBe("{ cut off");
    for (const command of [["run"], ["image", "sparsify"], ["image", "clone"]]) {
      const help = (await runMain([...command, "--help"])).out.replace(/\s+/g, " ");
      expect(help, command.join(" ")).toContain(
        "--restart start over with a new journal (the earlier one is kept as JOURNAL.before-restart-TIME)",
      );
    }
    expect(damaged.err).not.toMatch(/discard/);
  });
});
