import type { Command } from "commander";
import { BadInputError } from "../../errors.js";
import { Journal } from "../../journal/journal.js";
import { loadPlan } from "../../plan/load.js";
import { resolveStateDir } from "../state-dir.js";
import type { ExitSetter } from "../program.js";
import { examples } from "../examples.js";

export function registerStatus(program: Command, setExit: ExitSetter): void {
  program
    .command("status")
    .description("show where a migration stands: steps, durations, freeze window, pending compensations")
    .addHelpText("after", examples("mudanza status web1.yaml", "mudanza status                         # every run in the state directory"))
    .argument("<plan>", "plan file (YAML)")
    .option("--state-dir <dir>", "where journals live")
    .option("--json", "print the journal as JSON")
    .action(async (planPath: string, opts: { stateDir?: string; json?: boolean }) => {
      const loaded = await loadPlan(planPath);
      const path = Journal.pathFor(resolveStateDir(opts.stateDir), loaded.migrationId);
      const journal = await Journal.read(path);
      if (!journal) throw new BadInputError(`no journal for migration "${loaded.migrationId}" at ${path}: it has not run yet`);
      if (opts.json) {
        process.stdout.write(JSON.stringify(journal, null, 2) + "\n");
        setExit(0);
        return;
      }
      const { renderStatus } = await import("../../report/status-report.js");
      const { readLogEvents } = await import("../../report/log-events.js");
      const events = await readLogEvents(path.replace(/\.journal\.json$/, ".log.ndjson"));
      process.stdout.write(renderStatus(journal, [loaded.hash, loaded.legacyHash], events) + "\n");
      setExit(0);
    });
}
