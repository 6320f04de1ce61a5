import { execFile, spawn } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { receiverRsyncPath, rsyncArgv } from "../../../src/steps/rsync/command.js";
import { useTempDirs } from "../../support/temp-dirs.js";

const tempDir = useTempDirs();
const run = promisify(execFile);

/** What the target's shell runs: the --rsync-path text with rsync's server arguments after it (here --version). */
async function receiver(
  lock: string,
  waitSec: number,
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run("sh", ["-c", `${receiverRsyncPath(lock, waitSec)} --version`], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** Holds `lock` as an earlier receiver would, until the returned function is called. */
function holdLock(lock: string): Promise<() => Promise<void>> {
  const holder = spawn("flock", [lock, "sh", "-c", "echo held; exec cat"], { stdio: ["pipe", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    holder.on("error", reject);
    holder.stdout.once("data", () =>
      resolve(async () => {
        const closed = new Promise((done) => holder.on("close", done));
        holder.stdin.end();
        await closed;
      }),
    );
  });
}

/**
 * A PATH whose flock takes only what util-linux 2.17-2.21's flock took (sys-utils/flock.c there:
 * getopt_long "+sexnouw:hV?", no -E/--conflict-exit-code before 2.22; an unknown option prints the usage and
 * exits 64, EX_USAGE), the flock of an OpenVZ 6 node or a Debian squeeze/wheezy host; it then runs this
 * machine's flock.
 */
async function pathWithOldFlock(): Promise<NodeJS.ProcessEnv> {
  const bin = await tempDir("mudanza-old-flock-");
  const realFlock = (await run("sh", ["-c", "command -v flock"])).stdout.trim();
  await writeFile(
    join(bin, "flock"),
    [
      "#!/bin/sh",
      // getopt's scan of 2.17: options up to the first operand ("+"), -w's value may be the next word
      'n=0; skip=; for a in "$@"; do',
      '  if test -n "$skip"; then skip=; continue; fi',
      '  case "$a" in',
      `    -E*|--conflict-exit-code*) echo "flock: invalid option -- 'E'" >&2; exit 64;;`,
      "    -w|--timeout|--wait) skip=1;;",
      "    -*) ;;",
      "    *) break;;",
      "  esac",
      "done",
      `exec ${realFlock} "$@"`,
      "",
    ].join("\n"),
  );
  await chmod(join(bin, "flock"), 0o755);
  return { ...process.env, PATH: `${bin}:${process.env.PATH}` };
}

// Found by a cold run: a resumed pass failed with "file has vanished" (exit 23) in the target's
// /var/lib/dpkg/info while the receiver of the SIGKILLed run's pass was still deleting there.
describe("the receiving rsync waits for an earlier one on the target", () => {
  it("every pass over ssh starts its receiver through the lock", () => {
    const argv = rsyncArgv({
      from: "/",
      to: "/",
      ssh: { user: "root", address: "vm.example", port: 22, identityFile: "/k", knownHostsFile: "/kh" },
      excludes: [],
      keepDirlinks: true,
    });
    expect(argv).toContain(`--rsync-path=${receiverRsyncPath()}`);
    expect(rsyncArgv({ from: "/a", to: "/b", excludes: [], keepDirlinks: false }).join(" ")).not.toContain(
      "--rsync-path",
    );
  });

  it("runs rsync with its arguments when the lock is free", async () => {
    const lock = join(await tempDir("mudanza-receiver-lock-"), "receiver.lock");
    const result = await receiver(lock, 5);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^rsync\s+version/);
  });

  it("waits while an earlier receiver holds it, then runs", async () => {
    const lock = join(await tempDir("mudanza-receiver-lock-"), "receiver.lock");
    const release = await holdLock(lock);
    let finished = false;
    const waiting = receiver(lock, 60).then((r) => ((finished = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(finished, "started beside the earlier receiver").toBe(false);
    await release();
    const result = await waiting;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^rsync\s+version/);
  });

  it("gives up after the wait with exit 75 and says what to do", async () => {
    const lock = join(await tempDir("mudanza-receiver-lock-"), "receiver.lock");
    const release = await holdLock(lock);
    try {
      const result = await receiver(lock, 1);
      expect(result.code).toBe(75);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`an earlier rsync still runs on the target 1 s later (it holds ${lock})`);
    } finally {
      await release();
    }
  });

  it("takes the lock with a flock older than util-linux 2.22 (no -E)", async () => {
    const lock = join(await tempDir("mudanza-receiver-lock-"), "receiver.lock");
    const env = await pathWithOldFlock();
    const free = await receiver(lock, 5, env);
    expect(free.stderr).toBe("");
    expect(free.code).toBe(0);
    expect(free.stdout).toMatch(/^rsync\s+version/);
    const release = await holdLock(lock);
    try {
      const held = await receiver(lock, 1, env);
      expect(held.code).toBe(75);
      expect(held.stderr).toContain("an earlier rsync still runs on the target 1 s later");
    } finally {
      await release();
    }
  });
});
