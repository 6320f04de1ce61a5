import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { LocalHost } from "../src/hosts/local-host.js";
import { cmd } from "../src/hosts/quote.js";
import { COMMON_EXCLUDES, rsyncArgv, runRsyncPass, type RsyncCommandOptions } from "../src/steps/rsync/index.js";
import { chooseCompression, probeRsyncBuilds } from "../src/steps/rsync/compression.js";
import { lockedRsync } from "../src/steps/rsync/lock.js";
import { chooseTimePrecision } from "../src/steps/rsync/time-precision.js";
import { compareModeFor } from "../src/steps/openvz-to-kvm/sync.js";
import { startLoopback } from "./loopback.js";
import { cpuSecondsSoFar } from "./cpu.js";
import { settleDisk, settleNote } from "./settle-disk.js";
import { median, pairedRow } from "./measure.js";
import { generateTree } from "./tree.js";
import type { Benchmark, BenchRow } from "./types.js";

/** The target: the pipeline's copy within 5 % of bare rsync's wall time. */
const TARGET = 1.05;
/** The tree: at least 200k files. */
const FILES = Number(process.env.MUDANZA_BENCH_FILES ?? 200_000);
/**
 * A copy takes 15-20 s here, and rounds of the same command differed by up to 30 % on a 2-core machine (three
 * rounds gave medians from 1.03x to 1.12x on one day): seven rounds, about five minutes.
 */
const MAX_ROUNDS = 7;
const SPARSE_MIB = Number(process.env.MUDANZA_BENCH_SPARSE_MIB ?? 512);

/**
 * The copy as the pipeline runs it (runRsyncPass: the step's first-pass rsync command behind the copy's
 * lock, with --stats and progress2, progress read into events) against bare `rsync -aHAXS --numeric-ids
 * --delete` with the same excludes, compression, mtime precision and comparison, both over the same
 * loopback sshd, into an emptied target each round.
 */
export const copyOverhead: Benchmark = {
  name: "copy-overhead",
  description: "pipeline copy pass vs bare rsync over loopback ssh (wall and CPU time, median)",
  async run({ runs: wanted, scratch, log }) {
    const runs = Math.min(wanted, MAX_ROUNDS);
    const source = join(scratch, "source");
    const target = join(scratch, "target");
    log(
      `copy-overhead: generating ${FILES} files (MUDANZA_BENCH_FILES), hard links, xattrs, a ${SPARSE_MIB} MiB sparse file (MUDANZA_BENCH_SPARSE_MIB)`,
    );
    await generateTree(source, { files: FILES, sparseBytes: SPARSE_MIB * 1024 ** 2 });
    const loopback = await startLoopback(scratch);
    try {
      // What the copy step's plan (openvz-to-kvm/sync.ts passPlan) chooses for these two ends, both this
      // machine's rsync: the compression, the mtime precision, and the first pass's content comparison
      // (every round copies into an emptied target, as a first pass does).
      const builds = await probeRsyncBuilds(new LocalHost("source"), new LocalHost("target"));
      const compression = chooseCompression(builds.source, builds.target);
      const timePrecision = chooseTimePrecision(builds.source, builds.target);
      const compare = compareModeFor([]);
      log(`copy-overhead: ${compression.summary}; ${timePrecision.summary}; first pass: ${compare}`);
      const options: RsyncCommandOptions = {
        from: source,
        to: target,
        ssh: loopback.ssh,
        excludes: COMMON_EXCLUDES,
        keepDirlinks: true,
        compress: compression.flags,
        exactTimes: timePrecision.exact,
        compareContent: compare === "checksum",
      };
      const pipelineArgv = rsyncArgv(options);
      // Bare: the same argv without what the pipeline adds for its own use (--stats, progress2), so the
      // ratio is the CLI's cost, not a difference in what is copied or compared.
      const bareArgv = pipelineArgv.filter((a) => a !== "--stats" && a !== "--info=progress2");
      const host = new LocalHost("source");
      // As the pipeline runs it: behind the copy's lock (a few shell built-ins, then exec rsync).
      const pipelineCommand = lockedRsync(join(scratch, "rsync.lock"), cmd(...pipelineArgv));

      const cases = {
        pipeline: async () => {
          const result = await runRsyncPass(host, pipelineCommand, "bench", {
            progress: () => undefined,
            output: () => undefined,
          });
          if (result.code !== 0) throw new Error(`the pipeline's rsync exited ${result.code}: ${result.stderrTail}`);
        },
        bare: () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(bareArgv[0]!, bareArgv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
            child.on("error", reject);
            child.on("close", (code) =>
              code === 0 ? resolve() : reject(new Error(`bare rsync exited ${code}: ${stderr.trim()}`)),
            );
          }),
      };
      const wall = { pipeline: [] as number[], bare: [] as number[] };
      const cpu = { pipeline: [] as number[], bare: [] as number[] };
      // The CLI process's own share (reading rsync's progress records, events): CPU of this process alone.
      const ownCpu: number[] = [];
      for (let round = 0; round < runs; round++) {
        // Alternate who goes first: neither side always gets the warmer caches.
        for (const name of round % 2 === 0 ? (["bare", "pipeline"] as const) : (["pipeline", "bare"] as const)) {
          await rm(target, { recursive: true, force: true });
          await mkdir(target);
          const note = settleNote(`copy-overhead: round ${round + 1} ${name}`, await settleDisk());
          if (note) log(note);
          const cpuBefore = cpuSecondsSoFar();
          const ownBefore = process.cpuUsage();
          const started = process.hrtime.bigint();
          await cases[name]();
          wall[name].push(Number(process.hrtime.bigint() - started) / 1e6);
          cpu[name].push((cpuSecondsSoFar() - cpuBefore) * 1000);
          const own = process.cpuUsage(ownBefore);
          if (name === "pipeline") ownCpu.push((own.user + own.system) / 1000);
        }
        log(
          `copy-overhead: round ${round + 1}/${runs}: bare ${wall.bare.at(-1)!.toFixed(0)} ms (CPU ${cpu.bare.at(-1)!.toFixed(0)} ms), pipeline ${wall.pipeline.at(-1)!.toFixed(0)} ms (CPU ${cpu.pipeline.at(-1)!.toFixed(0)} ms, of it the CLI's own ${ownCpu.at(-1)!.toFixed(0)} ms)`,
        );
      }
      const row = (what: "wall" | "CPU", samples: typeof wall, target?: number): BenchRow =>
        pairedRow(
          {
            benchmark: "copy-overhead",
            case: `copy ${FILES} files, ${what}`,
            unit: "ms",
            baselineLabel: "bare rsync",
            target,
            runs,
          },
          samples.pipeline,
          samples.bare,
        );
      const ownRatios = ownCpu.map((own, i) => own / cpu.bare[i]!);
      const ownRow: BenchRow = {
        benchmark: "copy-overhead",
        case: `copy ${FILES} files, the CLI process's own CPU`,
        unit: "ms",
        value: median(ownCpu),
        baselineLabel: "bare rsync's CPU",
        baseline: median(cpu.bare),
        ratio: median(ownRatios),
        spread: [Math.min(...ownRatios), Math.max(...ownRatios)],
        runs,
        samples: { value: ownCpu, baseline: cpu.bare },
      };
      return [row("wall", wall, TARGET), row("CPU", cpu), ownRow];
    } finally {
      await loopback.stop();
    }
  },
};
