import type { Command } from "commander";
import { examples } from "../examples.js";
import type { ExitSetter } from "../program.js";
import { resolveStateDir } from "../state-dir.js";

export function registerStatus(program: Command, setExit: ExitSetter): void {
  program
    .command("status")
    .description("show where a migration stands: steps, durations, freeze window, pending compensations; without an argument, list every run")
    .addHelpText("after", examples("mudanza status web1.yaml", "mudanza status web1.3f9a0c1d          # an ID from mudanza runs", "mudanza status                         # every run in the state directory"))
    .argument("[plan-or-id]", "plan file (YAML), or a run ID from `mudanza runs`")
    .option("--state-dir <dir>", "where journals live")
    .option("--json", "print the journal as JSON")
    .action(async (target: string | undefined, opts: { stateDir?: string; json?: boolean }) => {
      if (target === undefined) {
        const { runsTable } = await import("./runs-table.js");
        process.stdout.write((await runsTable(opts.stateDir)) + "\n");
        setExit(0);
        return;
      }
      const stateDir = resolveStateDir(opts.stateDir);
      const { byId, byPlan, isFile } = await import("./status-find.js");
      const found = (await isFile(target)) ? await byPlan(target, stateDir) : await byId(target, stateDir);
      if (opts.json) {
        process.stdout.write(JSON.stringify(found.journal, null, 2) + "\n");
        setExit(0);
        return;
      }
      const { renderStatus } = await import("../../report/status-report.js");
      const { readLogEvents } = await import("../../report/log-events.js");
      const events = await readLogEvents(found.path.replace(/\.journal\.json$/, ".log.ndjson"));
      process.stdout.write(renderStatus(found.journal, found.planHashes, events, { journalPath: found.path, planProblem: found.planProblem }) + "\n");
      setExit(0);
    });
}
