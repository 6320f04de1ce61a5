import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { drivePipeline } from "../../src/cli/drive-pipeline.js";
import type { Pipeline } from "../../src/engine/step.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { liveGroupMembers, signalGroup } from "../../src/hosts/process-group.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

let stateDir: string;
let group = 0;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "mudanza-drive-"));
});
afterEach(async () => {
  if (group) signalGroup(group, "SIGKILL"); // only if an assertion failed before the run stopped it
  vi.restoreAllMocks();
  await rm(stateDir, { recursive: true, force: true });
});

const nothing: Pipeline<object> = { kind: "demo", title: "nothing", steps: [] };

describe("a run after a SIGKILLed one", () => {
  it("stops what the killed run left running before it starts, and says so", async () => {
    const killed = await execa(
      process.execPath,
      ["--import", "tsx", "test/support/group-child.ts", stateDir, "SIGKILL"],
      { reject: false },
    );
    expect(killed.signal).toBe("SIGKILL");
    group = Number(killed.stdout.split(" ")[0]);
    expect(liveGroupMembers(group).length).toBe(2); // the shell and its sleep, orphaned

    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const drive = (mode: "yes" | "dry-run") =>
      drivePipeline({
        pipeline: nothing,
        plan: {},
        mode,
        flags: mode === "yes" ? { yes: true } : { dryRun: true },
        stateDir,
        journal: { migrationId: "m1", kind: "demo", planPath: "p.yaml", planHash: "h" },
        connect: async (hosts) => {
          hosts.local = new LocalHost("local");
        },
        resumeCommand: "mudanza run p.yaml --yes",
      });
    // a dry run changes nothing: it says what the run stops first, and leaves it running (new-user trial 7)
    await drive("dry-run");
    expect(liveGroupMembers(group).length).toBe(2);
    expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toMatch(
      new RegExp(
        `mudanza: \`echo \\$\\$; sleep 300 & echo \\$!; wait\` \\(pid ${group}\\) is still running since \\S+, left by a run that was killed: the run stops it first`,
      ),
    );
    expect(await readdir(join(stateDir, "children"))).toHaveLength(1);
    stderr.mockClear();
    const outcome = await drive("yes");
    expect(exitCodeForRun(outcome)).toBe(0);
    expect(liveGroupMembers(group)).toEqual([]);
    const said = stderr.mock.calls.map((c) => String(c[0])).join("");
    expect(said).toMatch(
      new RegExp(
        `mudanza: stopped \`echo \\$\\$; sleep 300 & echo \\$!; wait\` \\(pid ${group}\\), left running since \\S+ by a run that was killed`,
      ),
    );
    expect(await readdir(join(stateDir, "children"))).toEqual([]);
  }, 120_000); // starts node + tsx: seconds on a loaded machine
});
