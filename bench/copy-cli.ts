// The CLI as it copies, for the memory and progress benchmarks: the built CLI's own pipeline driver
// (journal, NDJSON event log, renderer chosen from the flags, signals) running one step that is the
// pipeline's copy pass (runRsyncPass: progress2 parsed into progress events, stats read at the end) on
// this machine. Bundled like the CLI (bench/copy-cli-build.ts) and run as plain JavaScript, so what is
// measured is the built CLI, not a TypeScript loader.
//   node SCRATCH/copy-cli/copy-cli.js --json|--yes|--quiet|--tui FROM TO STATE_DIR
// --quiet: the --json run with the step's progress and output dropped before any renderer sees them (the
// CLI has no --quiet for runs: this is the copy with nothing to render, the flood benchmark's baseline).
import { runLocalPipeline } from "../src/cli/run-local-pipeline.js";
import { defineStep, verifyResult } from "../src/engine/step.js";
import { rsyncCommand, runRsyncPass } from "../src/steps/rsync/index.js";
import { exitCodeForRun } from "../src/exit-codes.js";

const [face, from, to, stateDir] = process.argv.slice(2) as [string, string, string, string];
const flags = (
  {
    "--json": { yes: true, json: true },
    "--yes": { yes: true },
    "--quiet": { yes: true, json: true },
    "--tui": { yes: true },
  } as Record<string, { yes: boolean; json?: boolean }>
)[face];
if (!flags || !stateDir) throw new Error("usage: copy-cli.js --json|--yes|--quiet|--tui FROM TO STATE_DIR");

const quiet = face === "--quiet";

const copy = defineStep({
  id: "copy",
  title: "Copy the tree",
  destructive: false,
  async probe() {
    return {
      satisfied: false,
      plan: { command: rsyncCommand({ from, to, excludes: [], keepDirlinks: false }) },
      findings: [],
      details: [],
    };
  },
  commands: (plan) => [{ host: "local", command: plan.command }],
  async run(ctx, plan) {
    const result = await runRsyncPass(ctx.host("local"), plan.command, "copy", {
      progress: (info) => void (quiet || ctx.progress(info)),
      output: (line, stream) => void (quiet || ctx.output("local", line, stream)),
      signal: ctx.signal,
    });
    if (result.code !== 0) throw new Error(`rsync exited ${result.code}: ${result.stderrTail}`);
    ctx.output("local", `copied ${result.stats.files} files`);
  },
  async verify() {
    return verifyResult([{ name: "copied", ok: true }]);
  },
});

const outcome = await runLocalPipeline(
  "bench-copy",
  { kind: "bench-copy", title: "bench copy", steps: [copy] },
  { from, to },
  { ...flags, stateDir },
  ["bench-copy"],
);
// A failed copy must fail the benchmark (it reads the exit code), not pass as a fast one.
process.exitCode = exitCodeForRun(outcome);
