import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { endLinesForStderr } from "../../src/cli/end-on-stderr.js";
import { startCli } from "../support/cli-process.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { CLI_PROCESS_TEST_TIMEOUT } from "../support/timeouts.js";

const ROOT = resolve(import.meta.dirname, "../..");
const tempDir = useTempDirs();
const env = { ...process.env, CI: "true" };

// Found by new-user trial 11: a `--yes` run in cron (stdout to a log, stderr mailed) that failed said so on
// stdout only, and nobody heard of it.
describe("a --yes run that does not finish says how it ended on stderr too", () => {
  it(
    "a failed run (plain lines) and a blocked run (--json) each end with their outcome, advice and log on stderr",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const state = await tempDir("mudanza-end-on-stderr-");
      const failed = startCli(["run", "fixtures/plans/ovz-kvm-debian-12.yaml", "--yes", "--state-dir", state], {
        env,
        cwd: ROOT,
      });
      expect((await failed.ended).code).toBe(1);
      const lines = failed.output.stderr.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^mudanza: the run failed \(exit 1\): Update and reboot both hosts: on source /);
      expect(lines).toContain(
        `mudanza: resume with: mudanza run ${join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml")} --yes --state-dir ${state}`,
      );
      expect(lines.at(-1)).toMatch(/^mudanza: its log: .*ovz-kvm-debian-12\.[0-9a-f]+\.log\.ndjson$/);
      // stdout keeps its own end as before
      expect(failed.output.stdout).toContain("[FAILED] failed after");

      const blocked = startCli(
        ["run", "fixtures/plans/vserver-web1-ctid-taken.yaml", "--yes", "--json", "--state-dir", state],
        { env, cwd: ROOT },
      );
      expect((await blocked.ended).code).toBe(3);
      expect(blocked.output.stderr).toMatch(/^mudanza: the run was blocked \(exit 3\): CTID 1001 is taken: /);
      // stdout is still NDJSON only
      for (const line of blocked.output.stdout.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    },
  );

  it(
    "said once where stderr is stdout (`> log 2>&1`), and not at all for a finished run",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const state = await tempDir("mudanza-end-on-stderr-");
      const logPath = join(state, "cron.log");
      const log = openSync(logPath, "w");
      try {
        const both = startCli(["run", "fixtures/plans/ovz-kvm-debian-12.yaml", "--yes", "--state-dir", state], {
          env,
          cwd: ROOT,
          stdout: log,
          stderr: log,
        });
        expect((await both.ended).code).toBe(1);
      } finally {
        closeSync(log);
      }
      const text = readFileSync(logPath, "utf8");
      expect(text).toContain("[FAILED] failed after");
      expect(text).not.toContain("mudanza: the run failed");

      // No fixture plan runs to its end on scripted hosts; an image clone with the real qemu-img does.
      const base = join(state, "base.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
      const done = startCli(["image", "clone", base, "--count", "1", "--name", "c{n}", "--yes", "--state-dir", state], {
        env,
        cwd: ROOT,
      });
      expect((await done.ended).code).toBe(0);
      expect(done.output.stderr).toBe("");
    },
  );

  it("each way a run stops has its words; done and dry-run say nothing", () => {
    const end = { type: "pipeline-end" as const, at: "2026-12-05T00:00:00.000Z" };
    expect(endLinesForStderr({ ...end, status: "done" })).toEqual([]);
    expect(endLinesForStderr({ ...end, status: "dry-run" })).toEqual([]);
    expect(
      endLinesForStderr({
        ...end,
        status: "interrupted",
        signal: "SIGTERM",
        resumeCommand: "mudanza run /p.yaml --yes",
      }),
    ).toEqual(["mudanza: the run was interrupted (exit 143)", "mudanza: resume with: mudanza run /p.yaml --yes"]);
    expect(endLinesForStderr({ ...end, status: "declined", message: "declined at \x1b[2Jits gate" })).toEqual([
      "mudanza: the run was declined (exit 1): declined at \\x1b[2Jits gate",
    ]);
  });
});
