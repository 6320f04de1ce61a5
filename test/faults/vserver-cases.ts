/**
 * Fault rows on the real CLI (child process) migrating a VServer guest on this machine (vserver-world.ts).
 * Each row: start a run, inject the fault at a point reached by order (an event, a file the stand-ins
 * write), check what the first run left, undo the fault (the admin's fix), run again, and compare.
 */
import { execa } from "execa";
import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { ORPHAN_STOPPED_MARKER } from "../../src/steps/rsync/lock.js";
import type { FaultRow } from "./matrix.js";
import type { CliRun, VserverWorld, WorldOptions } from "./vserver-world.js";

export type Signal = "SIGKILL" | "SIGINT" | "SIGTERM";
const EXIT_OF: Record<Signal, number | "killed"> = { SIGKILL: "killed", SIGINT: 130, SIGTERM: 143 };

export interface VserverCase extends FaultRow {
  world: WorldOptions;
  /** Before the first run: switches on (stand-in failures, a full filesystem). */
  arrange?(w: VserverWorld): Promise<void>;
  /** During the first run: the fault. */
  inject?(run: CliRun, w: VserverWorld): Promise<void>;
  /** Exit of the first run: a code, or "killed" by SIGKILL. */
  firstExit: number | "killed";
  /** The guest is running when the first run has ended (no source left stopped). Default true. */
  guestRunsAfterFirst?: boolean;
  /** The admin's fix before the re-run. */
  fix?(w: VserverWorld): Promise<void>;
  /** What the first run's output must say. */
  firstSays?: RegExp;
  /** Checks of the re-run's output, beyond the final state every row compares. */
  rerunChecks?(output: string): void;
}

const stepEnded = (stepId: string) => (e: Record<string, unknown>) => e.type === "step-end" && e.stepId === stepId;

function signalAt(stepId: string, signal: Signal): Pick<VserverCase, "inject" | "firstExit"> {
  return {
    async inject(run) {
      await run.event(stepEnded(stepId));
      run.child.kill(signal);
    },
    firstExit: EXIT_OF[signal],
  };
}

/** Holds the next copy (the stand-in rsync waits before exec'ing the real one), then signals the CLI. */
function signalInCopy(signal: Signal, pass: "live" | "final"): Pick<VserverCase, "arrange" | "inject" | "firstExit"> {
  return {
    arrange: (w) => w.flag(pass === "live" ? "hold-next" : "hold-after-stop"),
    async inject(run, w) {
      await w.waitFor("rsync-held");
      run.child.kill(signal);
    },
    firstExit: EXIT_OF[signal],
  };
}

/** The sshd processes serving the connection that runs `pid` (its ancestors below the listener). */
async function sessionOf(pid: number, listener: number): Promise<number[]> {
  const chain: number[] = [];
  for (let p = parentOf(await readStat(pid)); p > 1 && p !== listener; p = parentOf(await readStat(p))) chain.push(p);
  return chain;
}
const readStat = (pid: number): Promise<string> => readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
const parentOf = (stat: string): number => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? 0);

const childrenOf = (pid: number): Promise<number[]> => listenerChildren(pid);

async function listenerChildren(listener: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc"))
    if (/^\d+$/.test(entry) && parentOf(await readStat(Number(entry))) === listener) out.push(Number(entry));
  return out;
}

const kill = (pids: number[]): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
};

const mountTmpfs = async (dir: string, size: string): Promise<void> =>
  void (await execa("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]));
const fillerOf = (w: VserverWorld): string => join(dirname(w.privateDir), "filler");

const COPY_STATE =
  "same container files, CTID.conf, guest/container state as an uninterrupted run; no copy beside an orphan; no compensation pending";

export const VSERVER_CASES: VserverCase[] = [
  {
    point: "after inventory (step boundary)",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGKILL of the CLI on the step-end event",
    verified: COPY_STATE,
    ...signalAt("inventory", "SIGKILL"),
  },
  {
    point: "inside the live rsync",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGKILL of the CLI while rsync runs",
    verified: `${COPY_STATE}; the orphan rsync is stopped by the re-run`,
    ...signalInCopy("SIGKILL", "live"),
  },
  {
    point: "inside the live rsync",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGINT of the CLI while rsync runs",
    verified: `exit 130, rsync stopped with the CLI; ${COPY_STATE}`,
    ...signalInCopy("SIGINT", "live"),
  },
  {
    point: "inside the live rsync",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGTERM of the CLI while rsync runs",
    verified: `exit 143, rsync stopped with the CLI; ${COPY_STATE}`,
    ...signalInCopy("SIGTERM", "live"),
  },
  {
    point: "inside the final rsync (guest stopped)",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGKILL of the CLI while rsync runs",
    verified: `the re-run starts the guest first (pending compensation), then ${COPY_STATE}`,
    ...signalInCopy("SIGKILL", "final"),
    guestRunsAfterFirst: false,
  },
  {
    point: "inside the final rsync (guest stopped)",
    setup: "local sshd",
    world: { transport: "ssh" },
    injected: "SIGKILL of the CLI while rsync runs on the source over ssh",
    verified: `the re-run starts the guest first (pending compensation), stops the orphan rsync (flock) before copying, then ${COPY_STATE}`,
    ...signalInCopy("SIGKILL", "final"),
    guestRunsAfterFirst: false,
    rerunChecks(output) {
      const events = ndjsonEvents(output).filter((e) => e.type === "compensation" || e.type === "step-start");
      expect(events[0], "the first thing the re-run does").toMatchObject({
        type: "compensation",
        id: "vserver-restart-guest",
        ok: true,
      });
      expect(output).toContain(ORPHAN_STOPPED_MARKER);
    },
  },
  {
    point: "inside the final rsync (guest stopped)",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGINT of the CLI while rsync runs",
    verified: `exit 130 with the guest running again; ${COPY_STATE}`,
    ...signalInCopy("SIGINT", "final"),
  },
  {
    point: "after stop-and-final-sync (guest stopped)",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGTERM of the CLI on the step-end event",
    verified: `exit 143 with the guest running again; ${COPY_STATE}`,
    ...signalAt("stop-and-final-sync", "SIGTERM"),
  },
  {
    point: "after fix-up (step boundary)",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGKILL of the CLI on the step-end event",
    verified: COPY_STATE,
    ...signalAt("fixup-guest", "SIGKILL"),
    guestRunsAfterFirst: false,
  },
  {
    point: "after start-container (cutover done)",
    setup: "local",
    world: { transport: "local" },
    injected: "SIGINT of the CLI on the step-end event",
    verified: `the guest stays stopped (the container took over); ${COPY_STATE}`,
    ...signalAt("start-container", "SIGINT"),
    guestRunsAfterFirst: false,
  },
  {
    point: "the source guest will not stop",
    setup: "local",
    world: { transport: "local" },
    injected: "`vserver NAME stop` fails (stand-in)",
    verified: `exit 1, guest running, message names the stop; after the fix ${COPY_STATE}`,
    arrange: (w) => w.flag("stop-fails"),
    firstExit: 1,
    firstSays: /vserver web1 stop/,
    fix: (w) => w.flag("stop-fails", false),
  },
  {
    point: "the source guest will not start again",
    setup: "local",
    world: { transport: "local" },
    injected: "final rsync fails, then `vserver NAME start` fails (stand-ins)",
    verified: `exit 1, the compensation stays pending and is named; the re-run starts the guest first, then ${COPY_STATE}`,
    async arrange(w) {
      await w.flag("hold-after-stop");
      await w.flag("start-fails");
    },
    async inject(run, w) {
      await w.waitFor("rsync-held");
      // the held copy is killed from outside: rsync fails, the step fails, the compensation runs and fails
      kill([Number((await w.read("rsync-held")).trim())]);
    },
    firstExit: 1,
    guestRunsAfterFirst: false,
    firstSays: /start the VServer guest web1 again/,
    fix: (w) => w.flag("start-fails", false),
  },
  {
    point: "the node's filesystem is too small",
    setup: "local",
    world: { transport: "local", dataBytes: 2 * 1024 * 1024 },
    injected: "a 1 MiB tmpfs mounted on the node's private areas (the guest holds 2 MiB)",
    verified: `exit 3 before anything changed (the probe says how much is free), guest running; after unmounting ${COPY_STATE}`,
    // on the private areas' folder: the container's own folder must not exist yet (its CTID would be taken)
    arrange: (w) => mountTmpfs(dirname(w.privateDir), "1m"),
    firstExit: 3,
    firstSays: /Not enough space on the node/,
    fix: async (w) => void (await execa("umount", [dirname(w.privateDir)])),
  },
  {
    point: "the node's filesystem fills up inside the live rsync",
    setup: "local",
    world: { transport: "local", dataBytes: 2 * 1024 * 1024 },
    injected: "a 4 MiB tmpfs on the node's private areas, filled by another writer while rsync runs",
    verified: `exit 1 with rsync's "No space left on device", guest running; after the filler is removed ${COPY_STATE}`,
    async arrange(w) {
      await mountTmpfs(dirname(w.privateDir), "4m");
      await w.flag("hold-next");
    },
    async inject(_run, w) {
      await w.waitFor("rsync-held");
      // fill the node (dd stops at ENOSPC), then let the copy go on
      await execa("dd", ["if=/dev/zero", `of=${fillerOf(w)}`, "bs=64k"], { reject: false });
      await w.flag(`holding.${(await w.read("rsync-held")).trim()}`, false);
    },
    firstExit: 1,
    firstSays: /No space left on device/,
    fix: async (w) => void (await execa("rm", ["-f", fillerOf(w)])),
  },
  {
    point: "source ssh session dropped inside the live rsync",
    setup: "local sshd",
    world: { transport: "ssh" },
    injected: "the sshd processes serving the source connection SIGKILLed while rsync runs",
    verified: `the run stops (connection lost); the re-run stops the orphan rsync (flock) before copying; ${COPY_STATE}`,
    arrange: (w) => w.flag("hold-next"),
    async inject(_run, w) {
      await w.waitFor("rsync-held");
      kill(await sessionOf(Number((await w.read("rsync-held")).trim()), w.sshd.pid));
    },
    firstExit: 1,
    firstSays: /the connection was lost while running/,
  },
  {
    point: "target ssh session dropped during the live copy",
    setup: "local sshd",
    world: { transport: "ssh" },
    injected: "the sshd processes serving the target connection SIGKILLed while the source's rsync runs",
    verified: `the run stops (connection lost) with the guest running; ${COPY_STATE}`,
    arrange: (w) => w.flag("hold-next"),
    async inject(_run, w) {
      await w.waitFor("rsync-held");
      const copy = Number((await w.read("rsync-held")).trim());
      const source = await sessionOf(copy, w.sshd.pid);
      // the target's connection is the one running nothing (the source's runs the held copy)
      const idle: number[] = [];
      for (const p of await listenerChildren(w.sshd.pid))
        if (!source.includes(p) && (await childrenOf(p)).length === 0) idle.push(p);
      expect(idle, "the target's connection").toHaveLength(1);
      kill(idle);
      await w.flag(`holding.${copy}`, false); // the copy goes on; the next command on the target finds the connection gone
    },
    firstExit: 1,
    firstSays: /target: the connection to .* was lost|on target .*the connection was lost/,
  },
];

/** The NDJSON events among the CLI's output lines (--json). */
function ndjsonEvents(output: string): Array<Record<string, unknown>> {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The four outcomes, checked after the re-run. */
export async function checkFinal(
  w: VserverWorld,
  baseline: Record<string, string>,
  rerun: { code: number | undefined; output: string },
): Promise<void> {
  expect(rerun.code, rerun.output.slice(-3000)).toBe(0);
  expect(await w.finalState()).toEqual(baseline);
  expect(await w.read("overlap"), "a copy started while an earlier one still ran").toBe("");
  for (const pid of (await w.read("rsync-pids")).split(/\s+/).filter(Boolean))
    expect(await alive(Number(pid)), `copy ${pid} still runs after the re-run`).toBe(false);
  for (const file of (await readdir(w.stateDir)).filter((f) => f.endsWith(".journal.json"))) {
    const journal = JSON.parse(await readFile(join(w.stateDir, file), "utf8")) as { compensations: unknown[] };
    expect(journal.compensations).toEqual([]);
  }
}

/** Running or sleeping: a zombie (an orphan whose reaping is late) copies nothing and holds no lock. */
export async function alive(pid: number): Promise<boolean> {
  const stat = await readStat(pid);
  const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  return stat !== "" && state !== "Z" && state !== "X";
}

export { EXIT_OF };
