import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { cloneOptions } from "./clone-options.js";

// Real qemu-img and qemu-io (Debian qemu-utils) on real qcow2 files.
export const qemuImg = (...args: string[]): string => execFileSync("qemu-img", args, { encoding: "utf8" });
export const qemuIo = (...args: string[]): string => execFileSync("qemu-io", args, { encoding: "utf8" });

/** What a test of `image clone` works on: its folder, the base in images/, and the processes to kill after it. */
export interface CloneBench {
  dir: string;
  base: string;
  holders: ChildProcess[];
  /** The CLI's options for clones of this test's base: two of them unless `extra` says otherwise. */
  plan: (extra?: Parameters<typeof cloneOptions>[1]) => ReturnType<typeof cloneOptions>;
}

/**
 * For each test of the file that calls it: a folder with images/base.qcow2 (16M, 0x5a over the first MiB),
 * removed after the test with every qemu-io holder it started.
 */
export function cloneBenchPerTest(): CloneBench {
  const bench: CloneBench = {
    dir: "",
    base: "",
    holders: [],
    plan: (extra = {}) => cloneOptions(bench.base, { count: 2, ...extra }),
  };
  beforeEach(async () => {
    bench.dir = await mkdtemp(join(tmpdir(), "mudanza-clone-"));
    await mkdir(join(bench.dir, "images"));
    bench.base = join(bench.dir, "images", "base.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", bench.base, "16M");
    qemuIo("-f", "qcow2", "-c", "write -P 0x5a 0 1M", bench.base);
  });
  afterEach(async () => {
    for (const h of bench.holders.splice(0)) h.kill("SIGKILL");
    await rm(bench.dir, { recursive: true, force: true });
  });
  return bench;
}

/** This machine, except that `qemu-img create` of lab2 fails as on a full disk (only the run can tell). */
export function hostWhereLab2CannotBeCreated() {
  const local = new LocalHost("local");
  return delegatingHost(local, {
    exec: (command, options) =>
      command.startsWith("qemu-img create ") && command.endsWith("lab2.qcow2")
        ? Promise.resolve({ code: 1, stdout: "", stderr: "qemu-img: No space left on device\n" })
        : local.exec(command, options),
  });
}
