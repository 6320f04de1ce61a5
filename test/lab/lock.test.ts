import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLabLock, LAB_LOCK_PATH, LabBusyError } from "../../src/lab/lock.js";
import { labCacheRoot } from "../../src/lab/cache.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();

describe("the lab lock", () => {
  it("is one per machine, wherever the image cache is", () => {
    expect(LAB_LOCK_PATH.startsWith(labCacheRoot({ MUDANZA_LAB_CACHE: "/srv/a" }))).toBe(false);
    expect(LAB_LOCK_PATH.startsWith(labCacheRoot({}))).toBe(false);
  });

  it("refuses a second owner while the first lives, and is taken over when its owner is gone", async () => {
    const dir = await tempDir("mudanza-lock-");
    const path = join(dir, "lab.lock");
    // pid 1 always lives: another lab holds the lock
    writeFileSync(path, "1");
    expect(() => acquireLabLock(path)).toThrow(LabBusyError);
    // a pid far above pid_max's default is nobody: the lock is stale
    writeFileSync(path, "4194999");
    const release = acquireLabLock(path);
    release();
    expect(existsSync(path)).toBe(false);
  });
});
