import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildCopyCli } from "./copy-cli-build.js";
import { watchPeaks } from "./proc-memory.js";
import { manyFiles } from "./many-files.js";
import type { Benchmark, BenchRow } from "./types.js";

/** The budget for the CLI's peak RSS while it copies a very large tree. */
const BUDGET_BYTES = 150 * 1024 ** 2;
const SMALL_FILES = 1000;
/** 200k by default; `npm run bench -- --million` (or MUDANZA_BENCH_MEMORY_FILES) for the 1M. */
export const memoryFiles = (million: boolean): number =>
  Number(process.env.MUDANZA_BENCH_MEMORY_FILES ?? (million ? 1_000_000 : 200_000));

interface Peaks {
  own: number;
  child: number;
  ms: number;
}

/** The built CLI's copy (bench/copy-cli.ts, --json into a pipe read to its end) of `from`, watched from /proc. */
async function copyWatched(copyCli: string[], from: string, scratch: string): Promise<Peaks> {
  const to = join(scratch, "target");
  const state = join(scratch, "state");
  await rm(to, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
  await mkdir(to);
  const started = Date.now();
  const child = spawn(copyCli[0]!, [...copyCli.slice(1), "--json", from, to, state], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const watch = watchPeaks(child.pid!);
  let stderr = "";
  child.stdout.resume();
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const peaks = watch.stop();
  if (code !== 0) throw new Error(`the CLI's copy exited ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return { ...peaks, ms: Date.now() - started };
}

/**
 * Peak RSS (VmHWM, polled from /proc) of the CLI process while it copies a tree of many tiny files with
 * --json, against the same CLI copying 1000 files in the same run; rsync's processes are measured apart.
 */
export const memory: Benchmark = {
  name: "memory",
  description: "peak RSS of the CLI copying a very large tree (VmHWM), vs copying 1000 files",
  async run({ root, scratch, log, million }) {
    const files = memoryFiles(million);
    const big = join(scratch, "big");
    const small = join(scratch, "small");
    const made = await manyFiles(big, files);
    log(
      `memory: made ${files} files in ${(made / 1000).toFixed(1)} s${million ? "" : " (the issue's 1M: npm run bench -- --only memory --million)"}`,
    );
    await manyFiles(small, SMALL_FILES);
    const copyCli = await buildCopyCli(root, scratch);
    const smallPeaks = await copyWatched(copyCli, small, scratch);
    const bigPeaks = await copyWatched(copyCli, big, scratch);
    log(
      `memory: copy of ${files} files took ${(bigPeaks.ms / 1000).toFixed(1)} s; CLI peak ${(bigPeaks.own / 1024 ** 2).toFixed(0)} MiB, largest rsync process ${(bigPeaks.child / 1024 ** 2).toFixed(0)} MiB`,
    );
    const MiB = 1024 ** 2;
    const row = (what: string, value: number, baselineLabel: string, baseline: number, target?: number): BenchRow => ({
      benchmark: "memory",
      case: what,
      unit: "MiB",
      value: value / MiB,
      baselineLabel,
      baseline: baseline / MiB,
      ratio: value / baseline,
      target,
      runs: 1,
    });
    return [
      row(`CLI peak RSS, ${files} files`, bigPeaks.own, "150 MiB budget", BUDGET_BYTES, 1),
      row(`CLI peak RSS, ${files} files`, bigPeaks.own, `CLI, ${SMALL_FILES} files`, smallPeaks.own),
      row(`largest rsync child, ${files} files`, bigPeaks.child, `rsync, ${SMALL_FILES} files`, smallPeaks.child),
    ];
  },
};
