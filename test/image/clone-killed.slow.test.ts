/**
 * image clone killed with SIGKILL (its undo left pending in the journal), then run again: the undo runs before
 * the checks, so it must never delete what is at a clone's name unless it is the clone that run made, unwritten
 * (found by a new-user trial: a killed run's `rm -f` removed the admin's own disk and the run said done).
 * Slow (the CLI killed and run again, many real qemu-img runs): `npm test` runs it, `npm run test:quick` does not.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, link, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { heldOpenByQemuIo } from "./qemu-io-holder.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-clone-killed-"));
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, "base.qcow2"), "8M"]);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const qemuIo = (...args: string[]): string => execFileSync("qemu-io", args, { encoding: "utf8" });
const cloneArgs = (count: number, name = "vm{n}") => [
  "image",
  "clone",
  join(dir, "base.qcow2"),
  "--count",
  String(count),
  "--name",
  name,
  "--yes",
  "--state-dir",
  join(dir, "state"),
];

/** A folder `name` in the test's folder with a qemu-img that does `instead` when it would create `clone`. */
async function qemuImgShim(name: string, clone: string, instead: string): Promise<string> {
  const shims = join(dir, name);
  const qemuImg = execFileSync("sh", ["-c", "command -v qemu-img"], { encoding: "utf8" }).trim();
  execFileSync("mkdir", ["-p", shims]);
  await writeFile(
    join(shims, "qemu-img"),
    `#!/bin/sh
case "$1 $*" in "create "*${clone}) ${instead} ;; esac
exec '${qemuImg}' "$@"
`,
  );
  await chmod(join(shims, "qemu-img"), 0o755);
  return shims;
}

/**
 * The CLI from the sources in a process group of its own, with a qemu-img that stops before it creates `clone`:
 * the run is killed with SIGKILL there, so nothing of its undo runs (it stays pending in the journal).
 */
async function killedMaking(clone: string, count: number): Promise<void> {
  const mark = join(dir, "create-reached");
  const shims = await qemuImgShim("shims", clone, `touch '${mark}'; exec sleep 120`);
  const child = spawn(process.execPath, ["--import", "tsx", resolve("src/cli/main.ts"), ...cloneArgs(count)], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PATH: `${shims}:${process.env.PATH}`, TSX_DISABLE_CACHE: "1" },
  });
  let said = "";
  child.stderr!.on("data", (chunk) => (said += String(chunk)));
  let ended = false;
  const exited = new Promise((done) => child.once("exit", done)).then(() => (ended = true));
  // A run that ends before that qemu-img says why, instead of a wait that times out.
  await vi.waitFor(
    () => {
      if (ended) throw new Error(`the run ended before creating ${clone}: ${said}`);
      expect(existsSync(mark)).toBe(true);
    },
    { timeout: 60_000, interval: 100 },
  );
  process.kill(-child.pid!, "SIGKILL");
  await exited;
}

/** The second run, in this process: its stdout and stderr kept out of the test's output (and in `said`). */
async function runAgain(count: number, name?: string, said: string[] = []): Promise<number> {
  const keep = (chunk: unknown): boolean => (said.push(String(chunk)), true);
  vi.spyOn(process.stdout, "write").mockImplementation(keep);
  vi.spyOn(process.stderr, "write").mockImplementation(keep);
  try {
    return await main(cloneArgs(count, name), () => undefined);
  } finally {
    vi.restoreAllMocks();
  }
}

/** A qemu-img first in PATH whose `create` of `clone` fails as on a full disk; returns what puts PATH back. */
async function createFailsFor(clone: string): Promise<() => void> {
  const shims = await qemuImgShim("failing-shims", clone, "echo 'qemu-img: No space left on device' >&2; exit 1");
  const path = process.env.PATH;
  process.env.PATH = `${shims}:${path}`;
  return () => {
    process.env.PATH = path;
  };
}

describe("image clone after a run killed with its undo pending (real qemu-img)", () => {
  it("killed before the clone was made: a disk the admin then made under its name is left as it is", async () => {
    await killedMaking("vm1.qcow2", 1);
    const own = join(dir, "vm1.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", own, "2M"]);
    qemuIo("-c", "write -P 0x77 0 64k", own);
    // the dry run says the undo a run does first, and blocks on the taken name
    let report = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((report += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const dryRun = cloneArgs(1).map((a) => (a === "--yes" ? "--dry-run" : a));
    expect(await main(dryRun, () => undefined)).toBe(3);
    vi.restoreAllMocks();
    expect(report).toContain("a run first undoes what an earlier run left pending, without asking, in this order:");
    expect(report).toContain("The steps below are planned from the hosts as they are now, before that undo");
    expect(report).toContain(`remove the new overlay for ${join(dir, "vm1.qcow2")}, not yet in place (local)`);
    expect(await runAgain(1)).toBe(3); // blocked: the name is taken by a file that is not an overlay of the base
    expect(qemuIo("-r", "-c", "read -P 0x77 0 64k", own)).not.toMatch(/Pattern verification failed/);
    expect((await readdir(dir)).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([]);
  }, 120_000);

  it("killed after the first clone was in place: that clone, written to since, is kept and the run completes", async () => {
    await killedMaking("vm2.qcow2", 2);
    const first = join(dir, "vm1.qcow2");
    qemuIo("-c", "write -P 0x66 0 64k", first);
    const said: string[] = [];
    expect(await runAgain(2, undefined, said)).toBe(0);
    expect(qemuIo("-r", "-c", "read -P 0x66 0 64k", first)).not.toMatch(/Pattern verification failed/);
    expect(existsSync(join(dir, "vm2.qcow2"))).toBe(true);
    // what the undo did, not what it was registered to do (new-user trial 7: "undone: remove overlay vm1")
    const text = said.join("");
    expect(text).toContain(`undo on local: kept ${first}: written since this run made it (a VM may use it)`);
    expect(text).not.toContain(`undone: remove overlay ${first}`);
    // the undo left the base read-only under the kept clone; the run checks it again
    expect((await stat(join(dir, "base.qcow2"))).mode & 0o222).toBe(0);
    expect((await readdir(dir)).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([]);
  }, 120_000);

  it("killed after the first clone was in place: that clone, opened by a VM that has not written yet, is kept (new-user trial 8)", async () => {
    await killedMaking("vm2.qcow2", 2);
    const first = join(dir, "vm1.qcow2");
    const inode = (await stat(first)).ino;
    // qemu-io holds it open read-write, as a VM started on the clone the killed run said it created
    const vm = await heldOpenByQemuIo(first);
    try {
      const said: string[] = [];
      expect(await runAgain(2, undefined, said)).toBe(0);
      expect((await stat(first)).ino).toBe(inode);
      expect(said.join("")).toContain(`undo on local: kept ${first}: process ${vm.pid} (qemu-io) has it open`);
      expect((await stat(join(dir, "base.qcow2"))).mode & 0o222).toBe(0);
    } finally {
      vm.kill("SIGKILL");
    }
  }, 120_000);

  it("killed after the first clone was in place: that clone, unwritten, is removed by the undo and made again", async () => {
    await killedMaking("vm2.qcow2", 2);
    // a link of the test's own keeps the first file's inode taken, so a new vm1 cannot reuse its number
    const witness = join(dir, "witness");
    await link(join(dir, "vm1.qcow2"), witness);
    expect(await runAgain(2)).toBe(0);
    expect((await stat(join(dir, "vm1.qcow2"))).ino).not.toBe((await stat(witness)).ino);
    expect((await readdir(dir)).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([]);
  }, 120_000);

  it("killed while the base was read-only: another run's clone then stands on it, and the killed run's undo leaves it read-only (new-user trial 7)", async () => {
    const base = join(dir, "base.qcow2");
    await chmod(base, 0o644);
    await killedMaking("vm1.qcow2", 1);
    expect((await stat(base)).mode & 0o222).toBe(0);
    // another set of clones of the same base: its run finds the base read-only, so it has no mode to give back
    expect(await runAgain(1, "web{n}")).toBe(0);
    const web1 = join(dir, "web1.qcow2");
    // the killed run again, failing where it makes vm1: its pending undo must not make the base writable under web1
    const restorePath = await createFailsFor("vm1.qcow2");
    const said: string[] = [];
    try {
      expect(await runAgain(1, undefined, said)).toBe(1);
    } finally {
      restorePath();
    }
    expect(existsSync(web1)).toBe(true);
    expect((await stat(base)).mode & 0o222).toBe(0);
    expect(said.join("")).toContain(
      `undo not run on local: ${base} stays read-only: the run that made it so was killed`,
    );
    expect((await readdir(dir)).filter((f) => f.startsWith(".mudanza-new-"))).toEqual([]);
  }, 120_000);
});
