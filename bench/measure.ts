import { spawn } from "node:child_process";
import type { BenchRow } from "./types.js";

export interface Command {
  label: string;
  argv: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Wall time of one run of `command`, in milliseconds; fails when it exits non-zero (a broken run is not a fast one). */
export async function timeOnce(command: Command): Promise<number> {
  return (await runOnce(command)).ms;
}

/** One run of `command`: its wall time in milliseconds and its stderr; fails when it exits non-zero. */
export function runOnce(command: Command): Promise<{ ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command.argv[0]!, command.argv.slice(1), {
      cwd: command.cwd,
      env: command.env ?? process.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve({ ms, stderr });
      else reject(new Error(`${command.label} exited ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Each round's value over the same round's baseline: measured side by side, so a load spike cancels out. */
export const pairedRatios = (values: number[], baselines: number[]): number[] =>
  values.map((v, i) => v / baselines[i]!);

/**
 * A row of rounds measured side by side: both medians, the median of the rounds' own ratios (not the ratio of
 * the medians), and the range of those ratios.
 */
export function pairedRow(
  what: Pick<BenchRow, "benchmark" | "case" | "unit" | "baselineLabel" | "target" | "runs">,
  value: number[],
  baseline: number[],
): BenchRow {
  const ratios = pairedRatios(value, baseline);
  return {
    ...what,
    value: median(value),
    baseline: median(baseline),
    ratio: median(ratios),
    spread: [Math.min(...ratios), Math.max(...ratios)],
    samples: { value, baseline },
  };
}

/**
 * Runs every command once per round, `rounds` times, in turn (side by side: a load spike on a shared
 * machine hits all of them alike), and returns each one's times.
 */
export async function interleaved(commands: Command[], rounds: number): Promise<Map<string, number[]>> {
  const times = new Map(commands.map((c) => [c.label, [] as number[]]));
  for (const c of commands) await timeOnce(c); // warm the file cache; not counted
  for (let round = 0; round < rounds; round++) {
    for (const c of commands) times.get(c.label)!.push(await timeOnce(c));
  }
  return times;
}
