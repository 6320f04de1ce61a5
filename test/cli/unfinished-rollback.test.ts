import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cmd } from "../../src/hosts/quote.js";
import { runMain } from "../support/main-cli.js";
import { openPlanJournal } from "../support/plan-journal.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { PAIRS } from "../pipelines/openvz-to-kvm/harness.js";

const tempDir = useTempDirs();
const HOSTS = resolve("fixtures/hosts");
const NAME = "mz-web1-before-update";
const REVERTED_AT = "2026-12-01T19:02:00.000Z";

/** A plan of the scripted pair, and its migration's journal as a rollback left it: the target reverted, the source not. */
async function halfRolledBack(): Promise<{ planPath: string; stateDir: string; journalPath: string }> {
  const dir = await tempDir("mudanza-unfinished-rollback-");
  const planPath = join(dir, "plan.yaml");
  await writeFile(planPath, (await readFile(PAIRS.debian.plan, "utf8")).replaceAll("../hosts/", `${HOSTS}/`));
  const stateDir = join(dir, "state");
  const { journal, loaded } = await openPlanJournal(planPath, stateDir);
  await journal.startRun("yes");
  await journal.updateStep("checkpoint-before-update", { status: "done" });
  await journal.endRun("failed");
  await journal.setFact("rollbackUnderWay", {
    checkpoint: NAME,
    sides: ["target", "source"],
    reverted: [{ side: "target", at: REVERTED_AT }],
  });
  await journal.close();
  return { planPath: loaded.path, stateDir, journalPath: journal.path };
}

describe("a rollback that reverted one host and stopped (new-user trial 12, finding 1)", () => {
  it("status says which host is back at the checkpoint and which is not, and offers to finish the rollback, not to resume the run", async () => {
    const { planPath, stateDir } = await halfRolledBack();
    const { code, out } = await runMain(["status", planPath, "--state-dir", stateDir]);
    expect(code).toBe(0);
    expect(out).toContain(
      `WARNING: a rollback is unfinished: the target was returned to checkpoint ${NAME} at ${REVERTED_AT}; the source was not: the hosts are at different points in time; the migration's journal was not rewound`,
    );
    expect(out).toContain(
      `Finish the rollback with: ${cmd("mudanza", "rollback", planPath, "--to", NAME, "--state-dir", stateDir)} (\`mudanza run\` refuses this migration until then)`,
    );
    expect(out).not.toContain("Resume with: mudanza run");
    const json = await runMain(["status", planPath, "--state-dir", stateDir, "--format", "json"]);
    expect(JSON.parse(json.out)).toMatchObject({ state: "rollback unfinished" });
  });

  it("run refuses before reaching a host (exit 3), naming what was reverted and how to finish; so does its dry run", async () => {
    const { planPath, stateDir, journalPath } = await halfRolledBack();
    const before = await readFile(journalPath, "utf8");
    for (const flag of ["--yes", "--dry-run"]) {
      const { code, err } = await runMain(["run", planPath, flag, "--state-dir", stateDir]);
      expect(code).toBe(3);
      expect(err).toContain(`the target was returned to checkpoint ${NAME} at ${REVERTED_AT}; the source was not`);
      expect(err).toContain(
        `finish the rollback first (${cmd("mudanza", "rollback", planPath, "--to", NAME, "--state-dir", stateDir)})`,
      );
    }
    // no run recorded, nothing written
    expect(await readFile(journalPath, "utf8")).toBe(before);
  });
});
