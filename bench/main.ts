import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { copyOverhead } from "./copy-overhead.js";
import { lab, LAB_ROWS } from "./lab/index.js";
import { memory } from "./memory.js";
import { progressFlood } from "./progress-flood.js";
import { roundTrip } from "./round-trip.js";
import { startup } from "./startup.js";
import { wire } from "./wire.js";
import { renderTable } from "./table.js";
import type { Benchmark, BenchRow } from "./types.js";

/** Every benchmark on this machine, in the order they run; each lives in its own file. */
const LOCAL_BENCHMARKS: Benchmark[] = [startup, roundTrip, copyOverhead, wire, memory, progressFlood];
/** --lab: the rows that need the QEMU lab (root, the lab's packages; one boot serves them all). */
const LAB_BENCHMARKS: Benchmark[] = [lab];

const USAGE = `npm run bench [-- --runs N] [--only NAME[,NAME]] [--out FILE] [--lab]
  --runs  measured runs per case (default 15), after one warm-up run
  --only  run only these benchmarks: ${LOCAL_BENCHMARKS.map((b) => b.name).join(", ")}; with --lab, these rows: ${LAB_ROWS.join(", ")}
  --lab   instead, the rows on the QEMU lab (as root; about 12 min): dry run of the two-host plan (5 rounds),
          freeze window vs the two-pass recipe and a no-change scan (3 rounds), the lab tree on the wire
  MUDANZA_BENCH_FILES: files in the copy benchmark's tree (default 200000, the issue's; at most 3 rounds)
  TMPDIR=/dev/shm: the trees on tmpfs, for the CLI's own cost without the disk's (a disk's round can take 3x another's)
  MUDANZA_BENCH_SPARSE_MIB: size of its sparse file (default 512)
  MUDANZA_BENCH_FLOOD_FILES: files in the progress-flood tree (default 20000; at most 7 rounds)
  MUDANZA_BENCH_TRACE=FILE: with --lab, the traced dry run's whole trace (every command, host by host) into FILE
  MUDANZA_BENCH_BASELINE_CLI=PATH: with --lab, the dry run of another build (its bin/mudanza.js) in the same rounds
  MUDANZA_BENCH_WIRE_SPARSE_MIB, MUDANZA_BENCH_WIRE_FILES: the wire benchmark's sparse file (default 2048) and tree (default 20000)
  --million  the memory benchmark copies 1,000,000 files (default 200,000; MUDANZA_BENCH_MEMORY_FILES sets any count)
  --out   where the JSON results go (default ./bench-results.json)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "15" },
      only: { type: "string" },
      out: { type: "string", default: "bench-results.json" },
      million: { type: "boolean", default: false },
      lab: { type: "boolean", default: false },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1 (got ${values.runs})`);
  const BENCHMARKS = values.lab ? LAB_BENCHMARKS : LOCAL_BENCHMARKS;
  const wanted = values.only?.split(",");
  // --lab: one boot serves every lab row, so --only picks rows of the lab benchmark
  const names: readonly string[] = values.lab ? LAB_ROWS : BENCHMARKS.map((b) => b.name);
  const unknown = wanted?.filter((n) => !names.includes(n)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}: expected ${names.join(", ")}`);
  const chosen = values.lab ? BENCHMARKS : BENCHMARKS.filter((b) => !wanted || wanted.includes(b.name));
  const root = resolve(import.meta.dirname, "..");
  const rows: BenchRow[] = [];
  const failures: string[] = [];
  for (const benchmark of chosen) {
    const scratch = await mkdtemp(join(tmpdir(), `mudanza-bench-${benchmark.name}-`));
    try {
      rows.push(
        ...(await benchmark.run({
          root,
          runs,
          scratch,
          million: values.million,
          labRows: values.lab ? wanted : undefined,
          log: (line) => process.stderr.write(line + "\n"),
          failed: (what) => failures.push(`${benchmark.name}: ${what}`),
        })),
      );
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    loadavg: loadavg(),
  };
  process.stdout.write(renderTable(rows) + "\n");
  process.stdout.write(
    `machine: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}, load ${machine.loadavg.map((l) => l.toFixed(2)).join(" ")}\n`,
  );
  for (const failure of failures) process.stdout.write(`FAILED: ${failure}\n`);
  const out = resolve(values.out);
  await writeFile(out, JSON.stringify({ at: new Date().toISOString(), machine, rows, failures }, null, 2) + "\n");
  process.stdout.write(`results: ${out}\n`);
  if (failures.length > 0) return 2;
  return rows.some((r) => r.target !== undefined && r.ratio > r.target) ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 2;
  },
);
