import { execa } from "execa";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cmd } from "../../../src/hosts/quote.js";
import {
  lockedRsync,
  lockHoldersCommand,
  ORPHAN_STOPPED_MARKER,
  parseLockHolders,
} from "../../../src/steps/rsync/lock.js";
import { useTempDirs } from "../../support/temp-dirs.js";

const tempDir = useTempDirs();
const temp = () => tempDir("mudanza-rsync-lock-");

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Real rsync, real flock: a pass left running by a killed run is stopped before the next one copies. */
describe("lockedRsync", () => {
  it("stops an rsync an earlier run left holding the lock (found by its exec tag), then copies", async () => {
    const base = await temp();
    await mkdir(join(base, "src"));
    await writeFile(join(base, "src/big"), Buffer.alloc(8 * 1024 * 1024, 1));
    await writeFile(join(base, "src/small"), "x\n");
    const lock = join(base, "rsync.lock");
    // The orphan: a pass throttled to 64 KiB/s (two minutes for the file), tagged as an ssh exec is.
    const orphan = execa(
      "sh",
      ["-c", lockedRsync(lock, cmd("rsync", "-a", "--bwlimit=64", `${base}/src/`, `${base}/slow/`))],
      { env: { MUDANZA_EXEC_ID: "0123abcd" }, reject: false },
    );
    await until(async () => (await readFile(`${lock}.pid`, "utf8").catch(() => "")).includes("0123abcd"));
    const orphanPid = Number((await readFile(`${lock}.pid`, "utf8")).split(" ")[0]);
    expect(alive(orphanPid)).toBe(true);

    const next = await execa("sh", ["-c", lockedRsync(lock, cmd("rsync", "-a", `${base}/src/`, `${base}/fast/`))], {
      env: { MUDANZA_EXEC_ID: "4567cdef" },
      reject: false,
    });
    expect(next.exitCode, next.stderr).toBe(0);
    expect(next.stderr).toContain(`${ORPHAN_STOPPED_MARKER} (pid ${orphanPid}) holds ${lock}: stopping it`);
    const ended = await orphan;
    expect(ended.signal ?? ended.exitCode).not.toBe(0); // stopped, not finished
    expect(alive(orphanPid)).toBe(false);
    expect(await readFile(join(base, "fast/small"), "utf8")).toBe("x\n");
    expect((await readFile(`${lock}.pid`, "utf8")).trim()).toMatch(/ 4567cdef$/);
  });

  it("a pass with the lock free runs without a word", async () => {
    const base = await temp();
    await mkdir(join(base, "src"));
    await writeFile(join(base, "src/a"), "a\n");
    const run = await execa(
      "sh",
      ["-c", lockedRsync(join(base, "l.lock"), cmd("rsync", "-a", `${base}/src/`, `${base}/dst/`))],
      { reject: false },
    );
    expect([run.exitCode, run.stderr]).toEqual([0, ""]);
    expect(await readFile(join(base, "dst/a"), "utf8")).toBe("a\n");
  });

  // New-user trial 9, finding 5: the dry run after a kill in the copy said nothing of the rsync still copying.
  it("lockHoldersCommand names the pid of an orphan holding the lock, stops nothing, and names none once it ended", async () => {
    const base = await temp();
    await mkdir(join(base, "src"));
    await writeFile(join(base, "src/big"), Buffer.alloc(8 * 1024 * 1024, 1));
    const lock = join(base, "rsync.lock");
    const holders = async () => parseLockHolders((await execa("sh", ["-c", lockHoldersCommand(lock)])).stdout);
    expect(await holders()).toEqual([]); // no pass ever ran: no pid file
    const orphan = execa(
      "sh",
      ["-c", lockedRsync(lock, cmd("rsync", "-a", "--bwlimit=64", `${base}/src/`, `${base}/slow/`))],
      { env: { MUDANZA_EXEC_ID: "89abcdef" }, reject: false },
    );
    await until(async () => (await readFile(`${lock}.pid`, "utf8").catch(() => "")).includes("89abcdef"));
    const orphanPid = Number((await readFile(`${lock}.pid`, "utf8")).split(" ")[0]);
    // a local copy forks its receiver, which carries the tag too
    expect(await holders()).toContain(orphanPid);
    expect(alive(orphanPid)).toBe(true);
    orphan.kill("SIGTERM");
    await orphan;
    await until(async () => (await holders()).length === 0);
  });
});
