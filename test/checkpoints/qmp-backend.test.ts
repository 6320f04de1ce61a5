import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkpointsCommand } from "../../src/cli/checkpoints-command.js";
import { QmpBackend } from "../../src/checkpoints/qmp.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { openPlanJournal } from "../support/plan-journal.js";

/**
 * The QMP backend against a real QEMU: a machine with 64 MiB and one disk that boots nothing (SeaBIOS
 * finds no system), which is all snapshot-save / -load / -delete need.
 */
const hasQemu = spawnSync("qemu-system-x86_64", ["--version"]).status === 0;
const tempDir = useTempDirs();
const running: ChildProcess[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) {
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await gone;
  }
});

async function startQemu(format: "qcow2" | "raw"): Promise<{ socket: string; disk: string }> {
  const dir = await tempDir("mudanza-qmp-");
  const disk = join(dir, `disk.${format}`);
  const socket = join(dir, "qmp.sock");
  expect(spawnSync("qemu-img", ["create", "-q", "-f", format, disk, "64M"]).status).toBe(0);
  const child = spawn(
    "qemu-system-x86_64",
    [
      "-accel",
      "tcg",
      "-m",
      "64",
      "-nodefaults",
      "-display",
      "none",
      "-drive",
      `file=${disk},if=virtio,format=${format}`,
      "-qmp",
      `unix:${socket},server=on,wait=off`,
    ],
    { stdio: "ignore" },
  );
  running.push(child);
  await acceptingConnections(socket, child);
  return { socket, disk };
}

/**
 * QEMU creates the socket file (bind) before it listens: a connect in between is refused, so the file's
 * presence is not readiness. Waits for a connection to be accepted (closed at once: QMP takes the next).
 */
async function acceptingConnections(socket: string, qemu: ChildProcess): Promise<void> {
  for (let tries = 0; ; tries++) {
    if (qemu.exitCode !== null) throw new Error(`qemu exited ${qemu.exitCode} before its QMP socket listened`);
    const accepted = await new Promise<boolean>((resolve) => {
      const probe = connect(socket);
      probe.once("connect", () => (probe.destroy(), resolve(true)));
      probe.once("error", () => resolve(false));
    });
    if (accepted) return;
    if (tries > 600) throw new Error(`QMP socket ${socket} accepted no connection in 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!hasQemu)("checkpoints through QMP (a real QEMU)", () => {
  it("probes, saves, lists, loads and deletes a checkpoint", async () => {
    const { socket } = await startQemu("qcow2");
    const backend = new QmpBackend(socket);
    const probe = await backend.probe();
    expect(probe.refusal).toBeUndefined();
    expect(probe.cost.bytes).toBe(64 * 1024 ** 2);
    expect(probe.freeBytes).toBeGreaterThan(0);
    expect(probe.existing).toEqual([]);
    await backend.create("mz-t-before-copy");
    const listed = await backend.list();
    expect(listed.map((c) => c.name)).toEqual(["mz-t-before-copy"]);
    expect(listed[0]!.sizeBytes).toBeGreaterThan(0);
    await backend.revert("mz-t-before-copy");
    await backend.remove("mz-t-before-copy");
    expect(await backend.list()).toEqual([]);
  }, 60_000);

  it("refuses a raw disk, naming it, with the way out", async () => {
    const { socket } = await startQemu("raw");
    const probe = await new QmpBackend(socket).probe();
    expect(probe.refusal?.why).toMatch(/virtio0 is raw: only qcow2 images hold internal snapshots/);
    expect(probe.refusal?.instead).toMatch(/qemu-img convert -O qcow2/);
  }, 60_000);

  it("a load of a checkpoint that does not exist fails with QEMU's own words", async () => {
    const { socket } = await startQemu("qcow2");
    await expect(new QmpBackend(socket).revert("mz-none")).rejects.toThrow(/mz-none/);
  }, 60_000);

  it("an unreachable socket is an error naming it", async () => {
    const dir = await tempDir("mudanza-qmp-");
    await expect(new QmpBackend(join(dir, "nothing.sock")).probe()).rejects.toThrow(/nothing\.sock/);
  });
});

/** A finished run of `plan`'s migration whose journal (in `stateDir`) records `checkpoint`. */
async function finishedRunThatTook(plan: string, stateDir: string, checkpoint: Record<string, string>): Promise<void> {
  const { journal } = await openPlanJournal(plan, stateDir);
  await journal.startRun("yes");
  await journal.setFact("checkpoints", [checkpoint]);
  await journal.endRun("done");
  await journal.close();
}

describe.skipIf(!hasQemu)("mudanza checkpoints PLAN (a real QEMU)", () => {
  it("lists the VM's checkpoints and --delete removes only this migration's", async () => {
    const { socket } = await startQemu("qcow2");
    const backend = new QmpBackend(socket);
    await backend.create("mz-web1-before-copy");
    await backend.create("admin-own");
    const dir = await tempDir("mudanza-qmp-plan-");
    const plan = join(dir, "web1.yaml");
    await writeFile(
      plan,
      `kind: openvz-to-kvm\nname: web1\nsource: {host: old.example.org}\ntarget: {host: new.example.org}\ncheckpoints:\n  target: {via: qmp, socket: ${socket}}\n`,
    );
    // The migration's journal records the first as its own, as its take-checkpoint step does
    await finishedRunThatTook(plan, dir, {
      side: "target",
      purpose: "before-copy",
      name: "mz-web1-before-copy",
      via: "qmp",
      label: backend.label,
      takenAt: new Date().toISOString(),
    });
    let out = "";
    const spy = vi
      .spyOn(process.stdout, "write")
      .mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
    try {
      expect(await checkpointsCommand(plan, { stateDir: dir })).toBe(0);
      expect(out).toMatch(
        /^target: QEMU \(QMP .*\)\n {2}mz-web1-before-copy {2}\S+ {2}\d+ bytes {2}this migration's \(recorded in its journal\)\n {2}admin-own /,
      );
      // --delete asks first: --yes answers (no terminal here); its run's own journal goes to the temporary folder
      expect(await checkpointsCommand(plan, { delete: true, yes: true, stateDir: dir })).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect((await backend.list()).map((c) => c.name)).toEqual(["admin-own"]);
  }, 60_000);
});
