import { openSync, closeSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { startCli } from "../support/cli-process.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { CLI_PROCESS_TEST_TIMEOUT } from "../support/timeouts.js";

const ROOT = resolve(import.meta.dirname, "../..");
const tempDir = useTempDirs();

/** The CLI with its stdout on /dev/full, where every write fails with ENOSPC, as on a full disk. */
async function onFullDisk(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const full = openSync("/dev/full", "w");
  try {
    const { output, ended } = startCli(args, { env: process.env, cwd: ROOT, stdout: full });
    return { code: (await ended).code, stderr: output.stderr };
  } finally {
    closeSync(full);
  }
}

// Found by new-user trial 11: `--json > /var/log/…` on a full disk ended in a stack trace, exit 1, and a run
// the journal then called killed.
describe("stdout that cannot be written (a full disk)", () => {
  const said =
    /^mudanza: cannot write to stdout \(ENOSPC: no space left on device\): the rest of the output is not written there; a run goes on/;

  it(
    "a command whose output is lost says so once, without a stack trace, and ends with exit 1",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const state = await tempDir("mudanza-full-stdout-");
      for (const args of [
        ["runs", "--state-dir", state, "--format", "json"],
        ["status", "--state-dir", state],
        ["--help"],
      ]) {
        const { code, stderr } = await onFullDisk(args);
        expect(code, args.join(" ")).toBe(1);
        expect(stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
        expect(stderr, args.join(" ")).toMatch(said);
      }
    },
  );

  it(
    "a --yes --json run goes on to its end and records it: status tells its outcome, not a killed run",
    { timeout: CLI_PROCESS_TEST_TIMEOUT },
    async () => {
      const state = await tempDir("mudanza-full-stdout-");
      // the scripted node has no answer for the copy's first command: the run fails there, as recorded
      const plan = join(ROOT, "fixtures/plans/vserver-web1.yaml");
      const { code, stderr } = await onFullDisk(["run", plan, "--yes", "--json", "--state-dir", state]);
      expect(stderr).toMatch(said);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(code).toBe(1);
      const status = startCli(["status", plan, "--state-dir", state], { env: process.env, cwd: ROOT });
      expect((await status.ended).code).toBe(0);
      const out = status.output.stdout;
      expect(out).toMatch(/^Last run: with --yes, started \S+, failed$/m);
      expect(out).toContain("Copy the guest to the node while it runs");
    },
  );
});
