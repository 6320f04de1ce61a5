import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlockedError } from "../../src/errors.js";
import { processStartTime } from "../../src/hosts/process-identity.js";
import { LockFile } from "../../src/journal/lock.js";
import { useFailingWrites } from "../support/failing-writes.js";

const failWrites = useFailingWrites();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("lock file", () => {
  it("records this process's pid and start time", async () => {
    const lock = await LockFile.acquire(join(dir, "m.lock"));
    const record = JSON.parse(await readFile(join(dir, "m.lock"), "utf8")) as Record<string, unknown>;
    expect(record.pid).toBe(process.pid);
    expect(record.startTime).toMatch(/^\d+$/);
    expect(record.startTime).toBe(processStartTime(process.pid));
    await lock.release();
  });

  it("takes over a lock whose pid now belongs to another process (pid 1, start time not the recorded one)", async () => {
    const path = join(dir, "m.lock");
    const pid1Start = processStartTime(1);
    expect(pid1Start).not.toBeNull(); // pid 1 is alive: a bare liveness check would call the lock held
    await writeFile(
      path,
      JSON.stringify({
        pid: 1,
        startTime: String(Number(pid1Start) + 1),
        since: "2026-12-01T15:00:00.000Z",
        command: "mudanza run web1.yaml",
      }),
    );
    const lock = await LockFile.acquire(path);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it("takes over an old-style pid-only lock held by a live process that is not mudanza (pid 1)", async () => {
    const path = join(dir, "m.lock");
    await writeFile(path, "1\n");
    const lock = await LockFile.acquire(path);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it("refuses while the recorded process itself still runs, naming the run that holds it", async () => {
    const path = join(dir, "m.lock");
    const holder = spawn("sleep", ["30"]);
    try {
      await new Promise((resolve) => holder.on("spawn", resolve));
      await writeFile(
        path,
        JSON.stringify({
          pid: holder.pid,
          startTime: processStartTime(holder.pid!),
          since: "2026-12-01T15:00:00.000Z",
          command: "mudanza image sparsify web1.qcow2",
        }),
      );
      const error = await LockFile.acquire(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlockedError);
      expect((error as Error).message).toBe(
        `another mudanza run holds ${path}: pid ${holder.pid}, running since 2026-12-01T15:00:00.000Z (mudanza image sparsify web1.qcow2); wait for it to finish or stop that run first`,
      );
    } finally {
      holder.kill();
    }
  });

  it("a lock file's text reaches the message without terminal escapes", async () => {
    const path = join(dir, "m.lock");
    await writeFile(
      path,
      JSON.stringify({
        pid: process.ppid,
        startTime: processStartTime(process.ppid),
        since: "now",
        command: "mudanza run \u001b]0;owned\u0007x.yaml",
      }),
    );
    const error = (await LockFile.acquire(path).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("(mudanza run ?]0;owned?x.yaml)");
  });

  it("takes over a lock file that is garbage", async () => {
    const path = join(dir, "m.lock");
    await writeFile(path, "{not json");
    const lock = await LockFile.acquire(path);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it("a lock it cannot write (a full or read-only state dir) is removed, not left empty", async () => {
    await failWrites((text) => text.includes('"pid"'), "EROFS");
    await expect(LockFile.acquire(join(dir, "m.lock"))).rejects.toMatchObject({ code: "EROFS" });
    expect(await readdir(dir)).toEqual([]);
  });
});
