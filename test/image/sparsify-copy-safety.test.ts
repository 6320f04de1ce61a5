import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
    const { outcome } = await runLocal(buildImageSparsify(), o, "yes", { host: hostWritingBeforeReplace(writeToDisk) });
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toMatch(/changed since virt-sparsify read it.*was not replaced/);
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
