import { execFileSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { runningGroups } from "../../src/hosts/process-group.js";
import { validateSparsifyOptions } from "../../src/plan/options/image-sparsify.js";
import { buildImageSparsify } from "../../src/pipelines/image-sparsify/pipeline.js";
import { kvmSmokeTest } from "../../src/steps/host-doctor/kvm-smoke.js";
import { REAL_HOST_TEST_TIMEOUT } from "../support/timeouts.js";
import { guestfsEnv } from "../../src/steps/image/guest-filesystems.js";
import { heldOpenByQemuIo } from "./qemu-io-holder.js";
import { makeDeletedDataImage } from "./make-ext4-image.js";
import { runLocal } from "./run-local.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

// Real virt-sparsify (guestfs-tools) with libguestfs's appliance under TCG or KVM, whichever runs here.
const hasVirtSparsify = (() => {
  try {
    execFileSync("sh", ["-c", "command -v virt-sparsify && command -v guestfish"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const allocated = (path: string): number =>
  Number(execFileSync("du", ["-B1", path], { encoding: "utf8" }).split("\t")[0]);
const holders: ChildProcess[] = [];
let dir: string;
const savedEnv = {
  LIBGUESTFS_CACHEDIR: process.env.LIBGUESTFS_CACHEDIR,
  LIBGUESTFS_TMPDIR: process.env.LIBGUESTFS_TMPDIR,
  HOME: process.env.HOME,
};

/**
 * The appliance build is the slow, silent part of a first libguestfs run (supermin unpacks the host's
 * packages, then the appliance boots, under TCG where KVM cannot run guests). It happens here, once, in
 * a cache of this test's own (a machine that ran libguestfs before gets no head start), under its own
 * generous limits and with its own failure message; the tests then time libguestfs's work, not its set-up.
 */
const APPLIANCE_LIMIT_MS = 20 * 60_000;
const APPLIANCE_SILENCE_MS = 10 * 60_000;

async function buildAppliance(): Promise<void> {
  const host = new LocalHost("local");
  const accel = (await kvmSmokeTest(host)).result === "ok" ? "kvm" : "tcg";
  const started = Date.now();
  const run = await host.exec(`${guestfsEnv(accel, join(dir, "guestfs-tmp"))} libguestfs-test-tool`, {
    timeoutMs: APPLIANCE_LIMIT_MS,
    silenceTimeoutMs: APPLIANCE_SILENCE_MS,
  });
  if (run.code !== 0 || !run.stdout.includes("===== TEST FINISHED OK =====")) {
    const why = run.timedOut
      ? `did not finish within ${APPLIANCE_LIMIT_MS / 60_000} min`
      : run.silentMs !== undefined
        ? `printed nothing for ${Math.round(run.silentMs / 1000)} s`
        : `exited ${run.code}`;
    const tail = `${run.stdout}\n${run.stderr}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(
      `libguestfs could not build and boot its appliance (${accel.toUpperCase()}): libguestfs-test-tool ${why}; nothing in this file can pass without it. Last output:\n${tail}`,
    );
  }
  process.stderr.write(
    `sparsify.slow: libguestfs appliance built and booted (${accel}, empty cache) in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-sparsify-"));
  if (!hasVirtSparsify) return;
  await mkdir(join(dir, "guestfs-cache"));
  await mkdir(join(dir, "guestfs-tmp"));
  // Children inherit these: the appliance cache and libguestfs's sockets live in this test's folder.
  process.env.LIBGUESTFS_CACHEDIR = join(dir, "guestfs-cache");
  process.env.LIBGUESTFS_TMPDIR = join(dir, "guestfs-tmp");
  // A home of this test's own: what the run's libguestfs tools leave in a home shows there (guestfish's history).
  await mkdir(join(dir, "home"));
  process.env.HOME = join(dir, "home");
  await buildAppliance();
}, APPLIANCE_LIMIT_MS + 60_000);
afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const h of holders.splice(0)) h.kill("SIGKILL");
});

describe.skipIf(!hasVirtSparsify)("image sparsify with real virt-sparsify", () => {
  it(
    "shrinks an image whose deleted data still filled its blocks, verifies it, and replaces the original with --replace",
    async () => {
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
      // guestfish ran in verify: it left no ~/.guestfish in the home of whoever runs mudanza
      expect(await readdir(join(dir, "home"))).toEqual([]);
      expect(events.some((e) => e.type === "progress" && e.stepId === "sparsify")).toBe(true);
      const gate = events.findIndex((e) => e.type === "prompt" && e.stepId === "replace-original");
      const sparsifyDone = events.findIndex(
        (e) => e.type === "step-end" && e.stepId === "sparsify" && e.status === "done",
      );
      expect(sparsifyDone).toBeGreaterThan(-1);
      expect(gate).toBeGreaterThan(sparsifyDone);
      // The data that was not deleted is still there, byte for byte readable.
      const motd = execFileSync(
        "guestfish",
        ["--ro", "-a", image, "run", ":", "mount-ro", "/dev/sda", "/", ":", "cat", "/etc/motd"],
        {
          encoding: "utf8",
          env: {
            ...process.env,
            LIBGUESTFS_BACKEND: "direct",
            ...(outcome.probes.sparsify?.facts?.accel === "tcg" ? { LIBGUESTFS_BACKEND_SETTINGS: "force_tcg" } : {}),
          },
        },
      );
      expect(motd).toMatch(/^hello from mudanza\n/); // guestfish adds a newline after cat
      expect(runningGroups()).toEqual(new Map()); // nothing the run started is still running
    },
    20 * 60_000,
  ); // a last resort: every libguestfs command inside has its own watchdog or limit

  it(
    "blocks while a QEMU process holds the disk open for writing, and writes nothing",
    async () => {
      const work = await mkdtemp(join(dir, "locked-"));
      const { image } = await makeDeletedDataImage(work, 4);
      holders.push(await heldOpenByQemuIo(image));
      const plan = validateSparsifyOptions({ disk: image, uri: "qemu:///system" }, {});
      const { outcome } = await runLocal(buildImageSparsify(), plan, "yes");
      expect(outcome.status).toBe("blocked");
      expect(exitCodeForRun(outcome)).toBe(3);
      expect(outcome.findings.filter((f) => f.blocks).map((f) => f.title)).toEqual(["Disk in use"]);
      await expect(stat(plan.out)).rejects.toThrow();
      await expect(stat(`${plan.out}.partial`)).rejects.toThrow();
      // The probes boot a kernel under KVM (up to 20 s where KVM starts guests and never runs them).
    },
    REAL_HOST_TEST_TIMEOUT,
  );
});
