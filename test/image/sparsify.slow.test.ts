import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateSparsifyOptions } from "../../src/pipelines/image-sparsify/options.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { makeDeletedDataImage } from "./make-ext4-image.js";
import { runLocal } from "./run-local.js";

// Real virt-sparsify (guestfs-tools) with libguestfs's appliance under TCG or KVM, whichever runs here.
const hasVirtSparsify = (() => {
  try {
    execFileSync("sh", ["-c", "command -v virt-sparsify && command -v guestfish"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const allocated = (path: string): number => Number(execFileSync("du", ["-B1", path], { encoding: "utf8" }).split("\t")[0]);
const holders: ChildProcess[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-sparsify-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const h of holders.splice(0)) h.kill("SIGKILL");
});

describe.skipIf(!hasVirtSparsify)("image sparsify with real virt-sparsify", () => {
  it("shrinks an image whose deleted data still filled its blocks, verifies it, and replaces the original with --replace", async () => {
    const work = await mkdtemp(join(dir, "replace-"));
    const { image, files } = await makeDeletedDataImage(work);
    await chmod(image, 0o640);
    const before = allocated(image);
    expect(before).toBeGreaterThan(40 * 1024 * 1024); // the deleted 48 MiB are still in the qcow2
    const plan = validateSparsifyOptions({ disk: image, replace: true, uri: "qemu:///system" }, {});
    const { outcome, events } = await runLocal(buildImageSparsify(), plan, "yes");
    expect(outcome.message).toBeUndefined();
    expect(outcome.status).toBe("done");
    const after = allocated(image);
    expect(after).toBeLessThan(before / 4);
    expect((await stat(image)).mode & 0o777).toBe(0o640);
    await expect(stat(plan.out)).rejects.toThrow();
    // verify mounted the filesystem read-only and listed it before the replace gate.
    const verify = events.find((e) => e.type === "step-end" && e.stepId === "sparsify");
    const checks = verify?.type === "step-end" ? (verify.checks ?? []) : [];
    const listing = checks.find((c) => c.name.includes("mounts read-only"));
    expect(listing?.ok).toBe(true);
    for (const f of files) expect(listing?.detail).toContain(f);
    expect(checks.find((c) => c.name === "qemu-img check finds no errors")?.ok).toBe(true);
    expect(events.some((e) => e.type === "progress" && e.stepId === "sparsify")).toBe(true);
    const gate = events.findIndex((e) => e.type === "prompt" && e.stepId === "replace-original");
    const sparsifyDone = events.findIndex((e) => e.type === "step-end" && e.stepId === "sparsify" && e.status === "done");
    expect(sparsifyDone).toBeGreaterThan(-1);
    expect(gate).toBeGreaterThan(sparsifyDone);
    // The data that was not deleted is still there, byte for byte readable.
    const motd = execFileSync("guestfish", ["--ro", "-a", image, "run", ":", "mount-ro", "/dev/sda", "/", ":", "cat", "/etc/motd"], {
      encoding: "utf8",
      env: { ...process.env, LIBGUESTFS_BACKEND: "direct", ...(outcome.probes.sparsify?.facts?.accel === "tcg" ? { LIBGUESTFS_BACKEND_SETTINGS: "force_tcg" } : {}) },
    });
    expect(motd).toMatch(/^hello from mudanza\n/); // guestfish adds a newline after cat
  }, 400_000);

  it("blocks while a QEMU process holds the disk open for writing, and writes nothing", async () => {
    const work = await mkdtemp(join(dir, "locked-"));
    const { image } = await makeDeletedDataImage(work, 4);
    const holder = spawn("qemu-io", ["-f", "qcow2", image], { stdio: ["pipe", "pipe", "pipe"] });
    holders.push(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on("data", () => resolve());
      holder.on("exit", (code) => reject(new Error(`qemu-io exited ${code}`)));
      holder.stdin.write("help\n");
    });
    const plan = validateSparsifyOptions({ disk: image, uri: "qemu:///system" }, {});
    const { outcome } = await runLocal(buildImageSparsify(), plan, "yes");
    expect(outcome.status).toBe("blocked");
    expect(outcome.exitCode).toBe(3);
    expect(outcome.findings.filter((f) => f.blocks).map((f) => f.title)).toEqual(["Disk in use"]);
    await expect(stat(plan.out)).rejects.toThrow();
    await expect(stat(`${plan.out}.partial`)).rejects.toThrow();
  }, 60_000);
});
