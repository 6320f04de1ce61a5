import { execFile, spawn } from "node:child_process";
import { exitCodeForRun } from "../../src/exit-codes.js";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { pathKeyedStem } from "../../src/journal/journal-names.js";

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
  return cliWith(PLAN, ...args);
}

async function cliWith(plan: string, ...args: string[]) {
  const state = await mkdtemp(join(tmpdir(), "mudanza-faces-"));
  dirs.push(state);
  const result = await run(
    process.execPath,
    [join(ROOT, "bin/mudanza.js"), "run", plan, "--state-dir", state, ...args],
    { env: { ...process.env, CI: "1" } },
  ).then(
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
    const events = stdout
      .trimEnd()
      .split("\n")
      .map((l) => pipelineEventSchema.parse(JSON.parse(l)));
    expect(events[0]?.type).toBe("pipeline-start");
    const last = events.at(-1);
    expect(last?.type).toBe("pipeline-end");
    expect(last?.type === "pipeline-end" && exitCodeForRun(last)).toBe(code);
    expect(events.some((e) => e.type === "prompt-answer" && e.by === "yes-flag" && e.accepted)).toBe(true);
  });

  it("--yes without a terminal, a run that stops part-way: exits with the run's code, releases the lock, writes the report (issue 11.1)", async () => {
    // Without the pre-update step the run gets further before it stops; listr2 had moved on to the next
    // task by then and the CLI ended with Node's exit 13 (unsettled await), the lock still held.
    const dir = await mkdtemp(join(tmpdir(), "mudanza-faces-plan-"));
    dirs.push(dir);
    const plan = join(dir, "skip-pre-update.yaml");
    const original = parse(await readFile(PLAN, "utf8")) as {
      source: { fixture: string };
      target: { fixture: string };
      options: Record<string, unknown>;
    };
    for (const end of [original.source, original.target]) end.fixture = resolve(dirname(PLAN), end.fixture);
    await writeFile(plan, stringify({ ...original, options: { ...original.options, skipPreUpdate: true } }));
    const { stdout, code, state } = await cliWith(plan, "--yes");
    expect([0, 1]).toContain(code);
    expect(stdout).toMatch(
      code === 0 ? /\[COMPLETED\] Migration complete after/ : /\[FAILED\] failed after .+ \(exit 1\)/,
    );
    expect((await readdir(state)).filter((f) => f.endsWith(".lock"))).toEqual([]);
    const report = await readFile(
      join(
        state,
        `${pathKeyedStem("ovz-kvm-debian-12", plan)}.report.md`,
      ) /* this plan file lives elsewhere: its own journal name */,
      "utf8",
    );
    expect(report).toContain(`**Result: ${code === 0 ? "done" : "failed"}** (exit ${code})`);
  });

  it("--dry-run --json: stdout is NDJSON events and nothing else; the report goes to a file named on stderr (issue 14)", async () => {
    const { stdout, stderr, code, state } = await cli("--dry-run", "--json");
    expect(code).toBe(0);
    const events = stdout
      .trimEnd()
      .split("\n")
      .map((l) => pipelineEventSchema.parse(JSON.parse(l)));
    expect(events.at(-1)).toMatchObject({ type: "pipeline-end", status: "dry-run" });
    const path = join(state, `${ID}.dry-run.md`);
    expect(stderr).toContain(`dry-run report: ${path}`);
    expect(await readFile(path, "utf8")).toMatch(/^# /);
  });

  it("--dry-run --json on a first run: the state dir that does not exist yet is made for the report, mode 0700", async () => {
    const parent = await mkdtemp(join(tmpdir(), "mudanza-faces-"));
    dirs.push(parent);
    const state = join(parent, "new", "state");
    const result = await run(
      process.execPath,
      [join(ROOT, "bin/mudanza.js"), "run", PLAN, "--dry-run", "--json", "--state-dir", state],
      { env: { ...process.env, CI: "1" } },
    );
    const path = join(state, `${ID}.dry-run.md`);
    expect(result.stderr).toContain(`dry-run report: ${path}`);
    expect(await readFile(path, "utf8")).toMatch(/^# /);
    expect((await stat(state)).mode & 0o777).toBe(0o700);
  });

  it("a reader that closes the pipe early (| head) ends nothing badly: no EPIPE stack trace, the run's own exit code (issue 14)", async () => {
    const state = await mkdtemp(join(tmpdir(), "mudanza-faces-"));
    dirs.push(state);
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/mudanza.js"), "run", PLAN, "--yes", "--json", "--state-dir", state],
      { env: { ...process.env, CI: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout.destroy(); // our end of the pipe is gone before the CLI writes its first event
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|internal error|Error:/);
    expect([0, 1]).toContain(code); // the run went on to its end: its own result, not a crash
    expect((await readFile(join(state, `${ID}.log.ndjson`), "utf8")).trimEnd().split("\n").at(-1)).toContain(
      `"type":"pipeline-end"`,
    );
  });
});
