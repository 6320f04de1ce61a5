import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
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
  it("says the earlier run's journal is replaced and keeps a copy of it", async () => {
    const state = await tempDir("mudanza-restart-");
    const journal = join(state, `${pathKeyedStem("ovz-kvm-debian-12", PLAN)}.journal.json`);
    await runWithStderr(["run", PLAN, "--yes", "--state-dir", state]);
    const earlier = await readFile(journal, "utf8");
    expect(JSON.parse(earlier).runs).toHaveLength(1);

    const { err } = await runWithStderr(["run", PLAN, "--yes", "--restart", "--state-dir", state]);
    expect(err).toContain(
      `--restart: the earlier run's journal is replaced; a copy stays in ${journal}.before-restart`,
    );
    expect(await readFile(`${journal}.before-restart`, "utf8")).toBe(earlier);

    // A first run with --restart has nothing to replace, and says nothing.
    const fresh = await tempDir("mudanza-restart-");
    const first = await runWithStderr(["run", PLAN, "--yes", "--restart", "--state-dir", fresh]);
    expect(first.err).not.toContain("is replaced");
    expect(existsSync(join(fresh, `${pathKeyedStem("ovz-kvm-debian-12", PLAN)}.journal.json.before-restart`))).toBe(
      false,
    );
  });
});
