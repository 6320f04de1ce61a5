import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildCopyCli } from "./copy-cli-build.js";
import { manyFiles } from "./many-files.js";
import { settleDisk, settleNote } from "./settle-disk.js";
import { pairedRow } from "./measure.js";
import type { Benchmark, BenchRow } from "./types.js";

/** The issue's targets: at most 10 frames a second, and a copy no slower than one that renders nothing. */
const FPS_TARGET = 10;
const TIME_TARGET = 1.02;
const FILES = Number(process.env.MUDANZA_BENCH_FLOOD_FILES ?? 20_000);
/** Ink's synchronized-output start (DEC mode 2026): it opens every frame the TUI draws. */
const TUI_FRAME = "\x1b[?2026h";

type Face = "--quiet" | "--json" | "--tui";

interface Run {
  /** the whole process: start-up (the TUI loads ink and react), the copy, the end */
  ms: number;
  /** the copy step's run phase, from its events in the run's log: what rendering can slow down */
  copyMs: number;
  /** the most frames (TUI) or progress events (--json) seen in any one second */
  peakPerSecond: number;
}

/** Frames or events stamped as they arrive; the busiest one-second window. */
function peakPerSecond(stamps: number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < stamps.length; i++) {
    while (stamps[i]! - stamps[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

/** The copy step's run phase (its step-start with phase "run" to its step-end) from the NDJSON log in `state`. */
async function copyStepMs(state: string): Promise<number> {
  const log = (await readdir(state)).find((f) => f.endsWith(".log.ndjson"));
  if (!log) throw new Error(`no event log in ${state}`);
  let start: number | undefined;
  for (const line of (await readFile(join(state, log), "utf8")).split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line) as { type: string; at: string; phase?: string };
    if (event.type === "step-start" && event.phase === "run") start = Date.parse(event.at);
    if (event.type === "step-end" && start !== undefined) return Date.parse(event.at) - start;
  }
  throw new Error(`the copy step's run phase has no start and end in ${log}`);
}

/**
 * One copy by the built CLI (bench/copy-cli.ts). The TUI runs in a pseudo-terminal made by script(1),
 * 120x40, and its frames are counted on the terminal's output; --json's progress lines on its stdout.
 */
async function copyOnce(
  copyCli: string[],
  face: Face,
  from: string,
  scratch: string,
  log: (line: string) => void,
): Promise<Run> {
  const to = join(scratch, "target");
  const state = join(scratch, "state");
  await rm(to, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
  await mkdir(to);
  const note = settleNote(`progress-flood: ${face}`, await settleDisk());
  if (note) log(note);
  const cli = [...copyCli, face, from, to, state];
  const quoted = cli.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const argv = face === "--tui" ? ["script", "-qfec", `stty cols 120 rows 40; exec ${quoted}`, "/dev/null"] : cli;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color" };
  delete env.CI;
  const stamps: number[] = [];
  let pending = "";
  let stderr = "";
  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env });
  child.stdout.on("data", (chunk: Buffer) => {
    const now = Date.now();
    const text = pending + chunk.toString("latin1");
    if (face === "--tui") {
      const parts = text.split(TUI_FRAME);
      for (let i = 1; i < parts.length; i++) stamps.push(now);
      pending = parts.at(-1)!.slice(-TUI_FRAME.length); // a marker cut between chunks
    } else {
      const lines = text.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line.startsWith('{"type":"progress"')) stamps.push(now);
    }
  });
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0)
    throw new Error(`the CLI's copy (${face}) exited ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return { ms: Date.now() - started, copyMs: await copyStepMs(state), peakPerSecond: peakPerSecond(stamps) };
}

/**
 * rsync progress at full speed (a tree of many tiny files prints a progress2 line per file) into the TUI
 * and into --json: the busiest second's frame (or progress event) count, and the copy step's time against
 * the same copy with nothing rendered. Rounds interleave the three (the order reversed every other round),
 * each ratio is the median of the rounds' own ratios (a load spike on this shared machine hits one round's
 * three copies alike), and its range over the rounds is reported beside it.
 */
export const progressFlood: Benchmark = {
  name: "progress-flood",
  description: "progress at full speed into the TUI and --json: frames per second, copy time vs nothing rendered",
  async run({ root, runs, scratch, log }) {
    const rounds = Math.min(runs, 7);
    const tree = join(scratch, "tree");
    const made = await manyFiles(tree, FILES);
    log(
      `progress-flood: ${FILES} files (MUDANZA_BENCH_FLOOD_FILES) made in ${(made / 1000).toFixed(1)} s; ${rounds} rounds of --quiet, --json, --tui`,
    );
    const faces: Face[] = ["--quiet", "--json", "--tui"];
    const results = new Map<Face, Run[]>(faces.map((f) => [f, []]));
    const copyCli = await buildCopyCli(root, scratch);
    await copyOnce(copyCli, "--quiet", tree, scratch, log); // warm the file cache; not counted
    await copyOnce(copyCli, "--tui", tree, scratch, log); // and ink's and react's files
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? faces : [...faces].reverse();
      for (const face of order) results.get(face)!.push(await copyOnce(copyCli, face, tree, scratch, log));
      log(
        `progress-flood: round ${round + 1}/${rounds}: ${faces.map((f) => `${f} copy ${results.get(f)!.at(-1)!.copyMs} ms of ${results.get(f)!.at(-1)!.ms} ms`).join(", ")}`,
      );
    }
    const quiet = results.get("--quiet")!;
    const rows: BenchRow[] = [];
    for (const face of ["--tui", "--json"] as const) {
      const own = results.get(face)!;
      const peak = Math.max(...own.map((r) => r.peakPerSecond));
      rows.push({
        benchmark: "progress-flood",
        case: `${face === "--tui" ? "TUI frames" : "--json progress events"} in the busiest second`,
        unit: "/s",
        value: peak,
        baselineLabel: "10/s limit",
        baseline: FPS_TARGET,
        ratio: peak / FPS_TARGET,
        target: 1,
        runs: rounds,
      });
      const timed = (what: "copyMs" | "ms", label: string, target?: number): BenchRow =>
        pairedRow(
          {
            benchmark: "progress-flood",
            case: `${label}, ${face}`,
            unit: "ms",
            baselineLabel: "nothing rendered",
            target,
            runs: rounds,
          },
          own.map((r) => r[what]),
          quiet.map((r) => r[what]),
        );
      rows.push(timed("copyMs", `copy step, ${FILES} files`, TIME_TARGET));
      // Start-up included: loading ink and react is the TUI's fixed cost, paid before the first step.
      rows.push(timed("ms", `whole run, ${FILES} files`));
    }
    return rows;
  },
};
