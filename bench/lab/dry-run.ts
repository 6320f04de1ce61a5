import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Lab } from "../../src/lab/lab.js";
import { cmd } from "../../src/hosts/quote.js";
import { interleaved, runOnce, type Command } from "../measure.js";
import { dryRunTraceRows, milestones, parseDryRunTrace, slowestCommands } from "./dry-run-trace.js";
import { dryRunBuildRow, dryRunRows } from "./rows.js";
import type { BenchRow } from "../types.js";

/**
 * Row 6: `mudanza run PLAN --dry-run` of the lab's two-host plan (the built CLI, as installed), against the
 * 3 s budget and against `ssh HOST true` to the container and then the VM in the same rounds: the least
 * any check of both hosts costs on this lab (a TCG VM's SSH handshake is slow), so the ratio is the tool's own share.
 * Then one traced run (MUDANZA_TRACE=1) split host by host: connecting, the commands' own time on each host.
 */
export async function measureDryRun(
  lab: Lab,
  root: string,
  rounds: number,
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const env = { ...process.env, MUDANZA_FROM_SOURCE: undefined, NO_COLOR: "1" };
  const dryRun: Command = {
    label: "dry run",
    argv: [
      process.execPath,
      join(root, "bin", "mudanza.js"),
      "run",
      lab.planPath,
      "--dry-run",
      "--state-dir",
      lab.stateDir,
    ],
    env,
  };
  const roundTrips: Command = {
    label: "ssh true to each host",
    argv: ["sh", "-c", `${cmd("ssh", ...lab.source.argv("true"))} && ${cmd("ssh", ...lab.target.argv("true"))}`],
    env,
  };
  // Another build of the CLI (MUDANZA_BENCH_BASELINE_CLI: its bin/mudanza.js) in the same rounds: a change's
  // effect on a loaded machine, where the fixed budget says little.
  const otherCli = process.env.MUDANZA_BENCH_BASELINE_CLI;
  if (otherCli && !existsSync(otherCli)) throw new Error(`MUDANZA_BENCH_BASELINE_CLI: no such file: ${otherCli}`);
  const otherBuild: Command | undefined = otherCli
    ? { ...dryRun, label: "dry run, other build", argv: [process.execPath, otherCli, ...dryRun.argv.slice(2)] }
    : undefined;
  const times = await interleaved([dryRun, roundTrips, ...(otherBuild ? [otherBuild] : [])], rounds);
  // One more run, traced and not counted, shows where a run's time goes host by host.
  const traced = await runOnce({ ...dryRun, label: "traced dry run", env: { ...env, MUDANZA_TRACE: "1" } });
  // Every line of it, command by command, for a closer look than the summary below (see the usage).
  if (process.env.MUDANZA_BENCH_TRACE) await writeFile(process.env.MUDANZA_BENCH_TRACE, traced.stderr);
  for (const line of slowestCommands(traced.stderr, 6)) log(`lab-dry-run: traced run's slowest: ${line}`);
  for (const line of milestones(traced.stderr)) log(`lab-dry-run: traced run: ${line}`);
  return [
    ...dryRunRows(times.get(dryRun.label)!, times.get(roundTrips.label)!),
    ...(otherBuild ? [dryRunBuildRow(times.get(dryRun.label)!, times.get(otherBuild.label)!, otherCli!)] : []),
    ...dryRunTraceRows(parseDryRunTrace(traced.stderr)),
  ];
}
