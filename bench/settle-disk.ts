import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Below this much dirty or in-flight page cache the disk counts as quiet: a copy round then pays only for itself. */
const QUIET_BYTES = 16 * 1024 * 1024;
/** A disk that never gets there (another writer on the machine) is waited for at most this long, then noted. */
const MAX_WAIT_MS = 120_000;

/** Dirty + Writeback from /proc/meminfo's text, in bytes: what the kernel still has to write to disk. */
export function unwrittenBytes(meminfo: string): number {
  let kib = 0;
  for (const key of ["Dirty", "Writeback"]) {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(meminfo);
    if (!match) throw new Error(`/proc/meminfo has no ${key} line`);
    kib += Number(match[1]);
  }
  return kib * 1024;
}

function runSync(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sync", [], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`sync exited ${code}`))));
  });
}

export interface Settled {
  waitedMs: number;
  /** what was still unwritten when the wait gave up; 0 when the disk got quiet */
  leftBytes: number;
}

/**
 * `sync`, then wait until the kernel's unwritten pages are few, before a timed copy: without it a round
 * pays for the previous round's writeback (removing and writing 200k files), and the same bare copy took
 * 21 to 65 s with the same CPU time.
 */
export async function settleDisk(): Promise<Settled> {
  const started = Date.now();
  await runSync();
  for (;;) {
    const left = unwrittenBytes(await readFile("/proc/meminfo", "utf8"));
    const waitedMs = Date.now() - started;
    if (left <= QUIET_BYTES) return { waitedMs, leftBytes: 0 };
    if (waitedMs >= MAX_WAIT_MS) return { waitedMs, leftBytes: left };
    await sleep(250);
  }
}

/** A log line for a wait that gave up: the round's time then includes someone else's writes. */
export function settleNote(what: string, settled: Settled): string | undefined {
  if (settled.leftBytes === 0) return undefined;
  return `${what}: the disk did not get quiet in ${Math.round(settled.waitedMs / 1000)} s (${Math.round(settled.leftBytes / 1048576)} MiB still unwritten): this round's time includes other writes`;
}
