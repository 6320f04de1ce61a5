import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { pathKeyedStem } from "../../src/journal/journal-file.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");
// Journal, log and report are named after the plan's name and its path.
const ID = pathKeyedStem("ovz-kvm-debian-12", PLAN);
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

/** The real CLI with stdout on a pipe (not a terminal), as in CI or a log file. */
async function cli(...args: string[]) {
  const state = await mkdtemp(join(tmpdir(), "mudanza-faces-"));
  dirs.push(state);
  const result = await run(process.execPath, [join(ROOT, "bin/mudanza.js"), "run", PLAN, "--state-dir", state, ...args], { env: { ...process.env, CI: "1" } }).then(
    (r) => ({ ...r, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }),
  );
  return { ...result, state };
}

describe("non-interactive faces through the CLI (scripted OpenVZ -> KVM plan)", () => {
  it("--yes without a terminal: listr2 plain lines, no cursor codes; the result agrees with the exit code; a run report is written", async () => {
    const { stdout, code, state } = await cli("--yes");
    expect(stdout).not.toContain("\u001b[");
    expect(stdout.split("\n")[0]).toBe("[STARTED] Checks before anything changes");
    expect(stdout).toMatch(/\[COMPLETED\] Checks passed/);
    expect(stdout).toContain("[OUTPUT] gate accepted by --yes");
    if (code === 0) expect(stdout).toMatch(/\[COMPLETED\] Migration complete after/);
    else {
      expect(stdout).toMatch(/\[FAILED\] failed after .+ \(exit 1\)/);
      expect(stdout).toContain(`[OUTPUT] resume with: mudanza run ${PLAN} --yes --state-dir ${state}`);
    }
    const report = await readFile(join(state, `${ID}.report.md`), "utf8");
    expect(report).toContain(`**Result: ${code === 0 ? "done" : "failed"}** (exit ${code})`);
    expect(report).toContain("## Timeline");
  });

  it("--yes --json: every stdout line is one event of the exported schema, ending with pipeline-end", async () => {
    const { stdout, code } = await cli("--yes", "--json");
    const events = stdout.trimEnd().split("\n").map((l) => pipelineEventSchema.parse(JSON.parse(l)));
    expect(events[0]?.type).toBe("pipeline-start");
    const last = events.at(-1);
    expect(last?.type).toBe("pipeline-end");
    expect(last?.type === "pipeline-end" && last.exitCode).toBe(code);
    expect(events.some((e) => e.type === "prompt-answer" && e.by === "yes-flag" && e.accepted)).toBe(true);
  });
});
