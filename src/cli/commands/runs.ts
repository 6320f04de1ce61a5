import type { Command } from "commander";
import { listJournals } from "../../journal/journal-file.js";
import { lockHeld } from "../../journal/lock-state.js";
import { renderRuns, runRow } from "../../report/runs-list.js";
import { examples } from "../examples.js";
import { resolveStateDir } from "../state-dir.js";
import type { ExitSetter } from "../program.js";

/** The table `mudanza runs` and a bare `mudanza status` print. */
export async function runsTable(stateDirFlag: string | undefined): Promise<string> {
  const stateDir = resolveStateDir(stateDirFlag);
  const entries = await listJournals(stateDir);
  const rows = await Promise.all(entries.map(async (e) => runRow(e, await lockHeld(e.path))));
  return renderRuns(rows, stateDir);
}

export function registerRuns(program: Command, setExit: ExitSetter): void {
  program
    .command("runs")
    .description("list past and current runs: state, step, freeze window, when, plan file")
    .addHelpText("after", examples("mudanza runs", "mudanza runs --state-dir /var/lib/mudanza"))
    .option("--state-dir <dir>", "where journals live")
    .action(async (opts: { stateDir?: string }) => {
      process.stdout.write((await runsTable(opts.stateDir)) + "\n");
      setExit(0);
    });
}
