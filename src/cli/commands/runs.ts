import type { Command } from "commander";
import { examples } from "../examples.js";
import type { ExitSetter } from "../program.js";

export function registerRuns(program: Command, setExit: ExitSetter): void {
  program
    .command("runs")
    .description("list past and current runs: state, step, freeze window, when, plan file")
    .addHelpText("after", examples("mudanza runs", "mudanza runs --state-dir /var/lib/mudanza"))
    .option("--state-dir <dir>", "where journals live")
    .action(async (opts: { stateDir?: string }) => {
      const { runsTable } = await import("./runs-table.js");
      process.stdout.write((await runsTable(opts.stateDir)) + "\n");
      setExit(0);
    });
}
