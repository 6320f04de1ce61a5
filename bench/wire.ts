import { spawn } from "node:child_process";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { LocalHost } from "../src/hosts/local-host.js";
import { probeCompression } from "../src/steps/rsync/compression.js";
import { COMMON_EXCLUDES, rsyncArgv, type RsyncSshOptions } from "../src/steps/rsync/index.js";
import { startLoopback } from "./loopback.js";
import { median } from "./measure.js";
import { generateTree } from "./tree.js";
import type { Benchmark, BenchRow } from "./types.js";

/** The target: the zeros of a sparse file cost less than 1 % of its size on the wire. */
const SPARSE_TARGET = 0.01;
const SPARSE_MIB = Number(process.env.MUDANZA_BENCH_WIRE_SPARSE_MIB ?? 2048);
const FILES = Number(process.env.MUDANZA_BENCH_WIRE_FILES ?? 20_000);
/** A preallocated database file (InnoDB redo log, PostgreSQL WAL segment): written zeros, not holes. */
const PREALLOCATED_MIB = 64;

export interface Transfer {
  /** rsync --stats "Total bytes sent" + "Total bytes received": what crossed the ssh pipe, both ways */
  wireBytes: number;
  ms: number;
}

/** One copy of `from` into an emptied `to` over the loopback sshd, with the pipeline's flags. */
export async function copyOnce(from: string, to: string, ssh: RsyncSshOptions, compress: string[]): Promise<Transfer> {
  await rm(to, { recursive: true, force: true });
  await mkdir(to);
  const argv = rsyncArgv({ from, to, ssh, excludes: COMMON_EXCLUDES, keepDirlinks: true, compress }).filter(
    (a) => a !== "--info=progress2",
  );
  const started = process.hrtime.bigint();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`rsync exited ${code}: ${err.trim()}`))));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const number = (label: string): number =>
    Number(new RegExp(`^${label}: ([\\d,]+)`, "m").exec(stdout)?.[1]?.replace(/,/g, "") ?? NaN);
  const wireBytes = number("Total bytes sent") + number("Total bytes received");
  if (!Number.isFinite(wireBytes)) throw new Error(`rsync --stats printed no byte totals:\n${stdout}`);
  return { wireBytes, ms };
}

async function sparseFile(path: string, bytes: number): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  const file = await open(path, "w");
  await file.write(Buffer.alloc(4096, 1), 0, 4096, 0);
  await file.write(Buffer.alloc(4096, 2), 0, 4096, bytes - 4096);
  await file.close();
}

async function zeroFile(path: string, bytes: number): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  const file = await open(path, "w");
  const chunk = Buffer.alloc(1024 ** 2);
  for (let at = 0; at < bytes; at += chunk.length) await file.write(chunk, 0, chunk.length, at);
  await file.close();
}

/** The compression the pipeline's probe chooses for this machine's rsync at both ends, and its name in the table. */
export async function localCompression(log: (line: string) => void): Promise<{ flags: string[]; label: string }> {
  const chosen = await probeCompression(new LocalHost("source"), new LocalHost("target"));
  log(`wire: ${chosen.summary}`);
  if (chosen.flags.length === 0)
    throw new Error(`this machine's rsync gives no compression to measure: ${chosen.summary}`);
  return { flags: chosen.flags, label: chosen.flags.includes("--compress-choice=zstd") ? "zstd" : "--compress" };
}

/**
 * Bytes on the wire (rsync's own count of what crossed the ssh pipe) for a sparse file and for a
 * generated tree with a preallocated database file, copied with the compression the probe chooses for
 * this machine's rsync and without it; wall times of the same copies show what compression costs in CPU.
 */
export const wire: Benchmark = {
  name: "wire",
  description: "bytes on the wire with and without compression (sparse file, generated tree)",
  async run({ runs, scratch, log }) {
    const rounds = Math.min(runs, 3); // byte counts do not vary; the wall times get a few rounds
    const sparseDir = join(scratch, "sparse");
    const sparseBytes = SPARSE_MIB * 1024 ** 2;
    await sparseFile(join(sparseDir, "var", "lib", "images", "disk.img"), sparseBytes);
    const treeDir = join(scratch, "tree");
    const started = Date.now();
    await generateTree(treeDir, { files: FILES, sparseBytes: 64 * 1024 ** 2 });
    await zeroFile(join(treeDir, "var", "lib", "mysql", "ib_logfile0"), PREALLOCATED_MIB * 1024 ** 2);
    log(
      `wire: ${SPARSE_MIB} MiB sparse file (MUDANZA_BENCH_WIRE_SPARSE_MIB); tree of ${FILES} files (MUDANZA_BENCH_WIRE_FILES) with a ${PREALLOCATED_MIB} MiB preallocated file, made in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const loopback = await startLoopback(scratch);
    try {
      const chosen = await localCompression(log);
      const label = chosen.label;
      const measure = async (from: string): Promise<{ on: Transfer[]; off: Transfer[] }> => {
        const on: Transfer[] = [];
        const off: Transfer[] = [];
        for (let round = 0; round < rounds; round++) {
          // Alternate who goes first: neither side always gets the warmer caches.
          for (const compressed of round % 2 === 0 ? [false, true] : [true, false]) {
            (compressed ? on : off).push(
              await copyOnce(from, join(scratch, "target"), loopback.ssh, compressed ? chosen.flags : []),
            );
          }
        }
        log(
          `wire: ${from}: ${median(on.map((t) => t.wireBytes))} bytes compressed, ${median(off.map((t) => t.wireBytes))} uncompressed`,
        );
        return { on, off };
      };
      const sparse = await measure(sparseDir);
      const tree = await measure(treeDir);
      const MiB = 1024 ** 2;
      const bytesRow = (
        what: string,
        value: number,
        baselineLabel: string,
        baseline: number,
        target?: number,
      ): BenchRow => ({
        benchmark: "wire",
        case: what,
        unit: "MiB",
        value: value / MiB,
        baselineLabel,
        baseline: baseline / MiB,
        ratio: value / baseline,
        target,
        runs: rounds,
      });
      const wallRow = (what: string, t: { on: Transfer[]; off: Transfer[] }): BenchRow => {
        const on = t.on.map((x) => x.ms);
        const off = t.off.map((x) => x.ms);
        return {
          benchmark: "wire",
          case: what,
          unit: "ms",
          value: median(on),
          baselineLabel: "uncompressed",
          baseline: median(off),
          ratio: median(on) / median(off),
          runs: rounds,
          samples: { value: on, baseline: off },
        };
      };
      const wireOf = (ts: Transfer[]): number => median(ts.map((x) => x.wireBytes));
      return [
        bytesRow(`${SPARSE_MIB} MiB sparse file, ${label}`, wireOf(sparse.on), "its size", sparseBytes, SPARSE_TARGET),
        bytesRow(`${SPARSE_MIB} MiB sparse file, uncompressed`, wireOf(sparse.off), "its size", sparseBytes),
        bytesRow(
          `tree of ${FILES} files + ${PREALLOCATED_MIB} MiB preallocated, ${label}`,
          wireOf(tree.on),
          "uncompressed",
          wireOf(tree.off),
        ),
        wallRow(`sparse file copy time, ${label}`, sparse),
        wallRow(`tree copy time, ${label}`, tree),
      ];
    } finally {
      await loopback.stop();
    }
  },
};
