import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";
import { delegatingHost } from "../../src/hosts/delegating-host.js";
import type { Host } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { validateSparsifyOptions, type SparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { installFakeGuestfsTools } from "./fake-guestfs-tools.js";
import { runLocal } from "./run-local.js";

// Found by a new-user trial: a disk written after virt-sparsify read it (while the gate waited, or before a
// resumed run) was replaced by the copy, and the write was lost.
let dir: string;
let disk: string;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-replace-changed-"));
  await mkdir(join(dir, "tmp"));
  process.env.PATH = await installFakeGuestfsTools(dir);
  process.env.FAKE_LOG = join(dir, "fake.log");
  disk = join(dir, "disk.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "4M"]);
});
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await rm(dir, { recursive: true, force: true });
});

const plan = (): SparsifyOptions =>
  validateSparsifyOptions({ disk, replace: true, tmpdir: join(dir, "tmp"), uri: "qemu:///system" }, {});

/** A guest's write, as QEMU makes it: 512 KiB of 0x55 at the start of the disk. */
const writeToDisk = (): void => void execFileSync("qemu-io", ["-c", "write -P 0x55 0 512k", disk]);
/** The write is still there (qemu-io's read -P fails on any other byte). */
const writeKept = (): boolean => {
  try {
    execFileSync("qemu-io", ["-c", "read -P 0x55 0 512k", disk], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** This machine, doing `before` just ahead of the command that replaces the disk. */
function hostWritingBeforeReplace(before: () => void): Host {
  const local = new LocalHost("local");
  return delegatingHost(local, {
    exec: (command, options) => {
      if (command.includes("mv -f")) before();
      return local.exec(command, options);
    },
  });
}

/** A run stopped (as by Ctrl-C) right before it replaces the disk, the copy made and verified: its state dir. */
async function interruptedAtTheSwap(o: SparsifyOptions): Promise<string> {
  const state = join(dir, "state");
  await mkdir(state);
  const controller = new AbortController();
  const { outcome } = await runLocal(buildImageSparsify(), o, "yes", {
    stateDir: state,
    signal: controller.signal,
    host: hostWritingBeforeReplace(() => controller.abort()),
  });
  expect(outcome.status).toBe("interrupted");
  return state;
}

describe("image sparsify --replace swaps only the disk virt-sparsify read (real qemu-img, stand-in virt-sparsify)", () => {
  it("an unchanged disk is replaced by its verified copy, though the resumed run's time zone differs", async () => {
    const o = plan();
    process.env.TZ = "Asia/Kathmandu";
    const state = await interruptedAtTheSwap(o);
    process.env.TZ = "America/St_Johns";
    const { outcome } = await runLocal(buildImageSparsify(), o, "yes", { stateDir: state });
    expect(outcome.message).toBeUndefined();
    expect(outcome.status).toBe("done");
    expect(existsSync(o.out)).toBe(false);
  }, 60_000);

  it("a write made after the last check, right before the swap, keeps the disk and the copy", async () => {
    const o = plan();
    const { outcome, stateDir } = await runLocal(buildImageSparsify(), o, "yes", {
      host: hostWritingBeforeReplace(writeToDisk),
    });
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toMatch(/changed since virt-sparsify read it.*was not replaced/);
    // A resumed run would block on the changed disk: the end says to start over (found by a new-user trial).
    expect(outcome.resumeRepeatsFailure).toBe(true);
    const resumed = await runLocal(buildImageSparsify(), o, "yes", { stateDir });
    expect(resumed.outcome.status).toBe("blocked");
    expect(writeKept()).toBe(true);
    expect(existsSync(o.out)).toBe(true);
  }, 60_000);

  it("a write between an interrupted run and its resume blocks the swap, in the dry run and in the run", async () => {
    const o = plan();
    const state = await interruptedAtTheSwap(o);
    writeToDisk();
    for (const mode of ["dry-run", "yes"] as const) {
      const { outcome } = await runLocal(buildImageSparsify(), o, mode, { stateDir: state });
      expect(outcome.status, mode).toBe("blocked");
      const finding = outcome.findings.find((f) => f.title === "The disk changed after it was sparsified");
      expect(finding?.remediation).toContain("--restart");
    }
    expect(writeKept()).toBe(true);
    expect(existsSync(o.out)).toBe(true);
  }, 60_000);
});

/**
 * `stat` first in PATH that, run by the replace command's last check (its shell's command line holds the
 * `mv -f`), writes to the disk first: a guest's write that lands after the gate, seen by the CLI as it is.
 */
async function installStatWritingBeforeReplace(): Promise<void> {
  const realStat = execFileSync("sh", ["-c", "command -v stat"], { encoding: "utf8" }).trim();
  const fake = join(dir, "bin", "stat");
  await writeFile(
    fake,
    `#!/bin/sh\nif grep -q 'mv -f' /proc/$PPID/cmdline 2>/dev/null; then qemu-io -c 'write -P 0x55 0 512k' '${disk}' >/dev/null; fi\nexec '${realStat}' "$@"\n`,
  );
  await chmod(fake, 0o755);
}

describe("the CLI's end after a write that came after the last check (found by a new-user trial)", () => {
  it("names the command that starts over (--restart), not a resume that would fail the same way", async () => {
    await installStatWritingBeforeReplace();
    const state = join(dir, "state");
    const o = plan();
    const said: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      said.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = await main(
        ["image", "sparsify", disk, "--replace", "--tmpdir", o.tmpdir!, "--yes", "--json", "--state-dir", state],
        () => undefined,
      );
      expect(code).toBe(1);
    } finally {
      vi.restoreAllMocks();
    }
    const end = JSON.parse(said.join("").trimEnd().split("\n").at(-1)!) as Record<string, unknown>;
    expect(end).toMatchObject({ type: "pipeline-end", status: "failed", resumeRepeatsFailure: true });
    expect(end.resumeCommand).toBeUndefined();
    expect(end.restartCommand).toBe(
      `mudanza image sparsify ${disk} --out ${o.out} --replace --tmpdir ${o.tmpdir} --connect qemu:///system --yes --state-dir ${state} --restart`,
    );
    expect(writeKept()).toBe(true);
  }, 60_000);
});

/**
 * The CLI from the sources in a process group of its own, killed with SIGKILL right after `mv -f COPY DISK`
 * moved the copy onto the disk (an `mv` first in PATH that does the move, then sleeps): the journal holds
 * what the run recorded before the `mv`, and not the swap.
 */
async function killedRightAfterTheSwap(args: string[]): Promise<void> {
  const realMv = execFileSync("sh", ["-c", "command -v mv"], { encoding: "utf8" }).trim();
  const mark = join(dir, "moved");
  await writeFile(
    join(dir, "bin", "mv"),
    `#!/bin/sh\nif [ "$1" = -f ]; then '${realMv}' "$@" || exit; echo $$ > '${mark}'; exec sleep 120; fi\nexec '${realMv}' "$@"\n`,
  );
  await chmod(join(dir, "bin", "mv"), 0o755);
  const child = spawn(process.execPath, ["--import", "tsx", resolve("src/cli/main.ts"), ...args], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, TSX_DISABLE_CACHE: "1" },
  });
  let said = "";
  child.stderr!.on("data", (chunk) => (said += String(chunk)));
  let ended = false;
  const exited = new Promise((done) => child.once("exit", done)).then(() => (ended = true));
  try {
    await vi.waitFor(
      () => {
        if (ended) throw new Error(`the run ended before the swap: ${said}`);
        expect(existsSync(mark)).toBe(true);
      },
      { timeout: 60_000, interval: 100 },
    );
  } finally {
    if (!ended) process.kill(-child.pid!, "SIGKILL");
    await exited;
    // The shell LocalHost started may be in a group of its own: its sleeping `mv` goes by its pid.
    const sleeper = existsSync(mark) ? Number(await readFile(mark, "utf8")) : 0;
    if (sleeper > 0) {
      try {
        process.kill(sleeper, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await rm(join(dir, "bin", "mv"));
  }
}

describe("image sparsify --replace killed right after the swap, before the journal recorded it (new-user trial 8, finding 3)", () => {
  it("the resume sees the disk is the copy, verifies it and ends done, instead of blocking on 'the disk changed'", async () => {
    const o = plan();
    const state = join(dir, "state");
    const args = ["image", "sparsify", disk, "--replace", "--tmpdir", o.tmpdir!, "--yes", "--state-dir", state];
    await killedRightAfterTheSwap(args);
    expect(existsSync(o.out)).toBe(false);
    const swapped = await stat(disk);
    const said: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      said.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const errors: string[] = [];
    try {
      expect(await main([...args.filter((a) => a !== "--yes"), "--dry-run"], (t) => errors.push(t))).toBe(0);
      expect(said.join("")).not.toContain("The disk changed after it was sparsified");
      said.length = 0;
      expect(await main(args, (t) => errors.push(t))).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    expect(errors).toEqual([]);
    expect(said.join("")).toContain(`${disk} is now the sparsified image`);
    // Nothing was sparsified or moved again: the disk is the same file the killed run put there.
    expect((await stat(disk)).ino).toBe(swapped.ino);
    expect(existsSync(o.out)).toBe(false);
    execFileSync("qemu-img", ["check", "-q", disk]);
  }, 120_000);
});

describe("image sparsify keeps a copy that failed verification, says so, and does not count it as done", () => {
  it("the failure names the kept copy; the next run blocks on it as an output it will not overwrite", async () => {
    process.env.FAKE_MODE = "guestfish:fail";
    const o = plan();
    const state = join(dir, "state");
    await mkdir(state);
    const { outcome } = await runLocal(buildImageSparsify(), o, "yes", { stateDir: state });
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toContain(`${o.out} is kept for a look and used by nothing: remove it (rm -- ${o.out})`);
    expect(existsSync(o.out)).toBe(true);
    delete process.env.FAKE_MODE;
    const again = await runLocal(buildImageSparsify(), o, "dry-run", { stateDir: state });
    expect(again.outcome.status).toBe("blocked");
    expect(again.outcome.findings.map((f) => f.title)).toContain("Output exists");
  }, 60_000);
});
