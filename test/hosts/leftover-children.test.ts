import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commandPreview, stopLeftoverChildren } from "../../src/hosts/child-records.js";
import { liveGroupMembers, signalGroup } from "../../src/hosts/process-group.js";
import { identify, processStartTime } from "../../src/hosts/process-identity.js";

let stateDir: string;
const strays: number[] = [];

/** Runs test/support/group-child.ts, which starts `sh` + `sleep 300` in a group and leaves by `how`. */
async function cliLeaving(
  how: string,
  state: string,
): Promise<{ group: number; sleep: number; signal: string | undefined; exitCode: number | undefined }> {
  const child = await execa(process.execPath, ["--import", "tsx", "test/support/group-child.ts", state, how], {
    reject: false,
  });
  const [group, sleep] = child.stdout.trim().split(" ").map(Number);
  expect(group, child.stderr).toBeGreaterThan(0);
  return { group: group!, sleep: sleep!, signal: child.signal, exitCode: child.exitCode };
}

describe("no process outlives the CLI", () => {
  // Each case starts node + tsx (seconds on a loaded machine): one at a time, with room for that.
  it.each(["exit", "uncaught", "SIGINT", "SIGTERM", "SIGHUP"])(
    "leaving by %s stops the command's whole group and removes its record",
    async (how) => {
      const state = await mkdtemp(join(tmpdir(), "mudanza-children-"));
      let group = 0;
      try {
        const left = await cliLeaving(how, state);
        group = left.group;
        if (how.startsWith("SIG"))
          expect(left.signal).toBe(how); // the signal still ends the process as it would have
        else expect(left.exitCode).toBe(how === "exit" ? 0 : 1);
        expect(liveGroupMembers(left.group)).toEqual([]);
        expect(await readdir(join(state, "children"))).toEqual([]);
      } finally {
        if (group) signalGroup(group, "SIGKILL"); // after the assertions: only a failed case leaves one
        await rm(state, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe("a run after a SIGKILL", () => {
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "mudanza-children-"));
  });
  afterEach(async () => {
    for (const pgid of strays.splice(0)) signalGroup(pgid, "SIGKILL"); // only if an assertion failed first
    await rm(stateDir, { recursive: true, force: true });
  });

  it("after a SIGKILL the group lives on, and the next run finds it in the state folder and stops it", async () => {
    const left = await cliLeaving("SIGKILL", stateDir);
    strays.push(left.group);
    expect(left.signal).toBe("SIGKILL");
    expect(liveGroupMembers(left.group).sort()).toEqual([left.group, left.sleep].sort()); // orphaned, as in the bug report
    const found = stopLeftoverChildren(stateDir);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      stopped: true,
      record: { child: { pid: left.group }, command: "echo $$; sleep 300 & echo $!; wait" },
    });
    expect(liveGroupMembers(left.group)).toEqual([]);
    expect(await readdir(join(stateDir, "children"))).toEqual([]);
  }, 120_000);

  it("never kills a process whose pid was reused: the start time must match too", async () => {
    const innocent = spawn("sleep", ["30"], { detached: true });
    try {
      await new Promise((resolve) => innocent.on("spawn", resolve));
      const pid = innocent.pid!;
      const deadOwner = { pid: 999_999_999, startTime: "1" };
      await mkdir(join(stateDir, "children"));
      await writeFile(
        join(stateDir, "children", `1-${pid}.json`),
        JSON.stringify({
          owner: deadOwner,
          child: { pid, startTime: String(Number(processStartTime(pid)) - 1) },
          command: "virt-sparsify",
          since: "x",
        }),
      );
      expect(stopLeftoverChildren(stateDir)).toEqual([]);
      expect(liveGroupMembers(pid)).toEqual([pid]);
      expect(await readdir(join(stateDir, "children"))).toEqual([]); // the stale record is gone
    } finally {
      innocent.kill("SIGKILL");
    }
  });

  it("leaves the children of a run that is still alive alone", async () => {
    const sibling = spawn("sleep", ["30"], { detached: true });
    try {
      await new Promise((resolve) => sibling.on("spawn", resolve));
      await mkdir(join(stateDir, "children"));
      const record = join(stateDir, "children", `${process.pid}-${sibling.pid}.json`);
      await writeFile(
        record,
        JSON.stringify({
          owner: identify(process.pid),
          child: identify(sibling.pid!),
          command: "sleep 30",
          since: "x",
        }),
      );
      expect(stopLeftoverChildren(stateDir)).toEqual([]);
      expect(liveGroupMembers(sibling.pid!)).toEqual([sibling.pid]);
      expect(await readdir(join(stateDir, "children"))).toEqual([`${process.pid}-${sibling.pid}.json`]);
    } finally {
      sibling.kill("SIGKILL");
    }
  });
});

describe("a left-running command in one line (new-user trial 8: the line ended inside the command's quoting)", () => {
  it("is whole when short, else cut at a space and followed by an ellipsis", () => {
    expect(commandPreview("sleep 300")).toBe("sleep 300");
    const script = `{ test "$(env TZ=UTC0 stat -c %Y -- '/srv/d.qcow2')" = 1; } || { echo 'mudanza: the disk changed'; exit 3; }`;
    const shown = commandPreview(script, 40);
    expect(shown).toBe(`{ test "$(env TZ=UTC0 stat -c %Y -- …`);
    expect(shown.length).toBeLessThanOrEqual(42);
    expect(commandPreview("a\nb   c")).toBe("a b c");
    expect(commandPreview("x".repeat(100), 10)).toBe(`${"x".repeat(10)} …`);
  });
});
