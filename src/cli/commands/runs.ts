import { Option, type Command } from "commander";
import { BadInputError } from "../../errors.js";
import { examples } from "../examples.js";
import type { ExitSetter } from "../program.js";

export function registerRuns(program: Command, setExit: ExitSetter): void {
  program
    .command("runs")
    .description("list past and current runs: state, step, freeze window, when, plan file")
    .addHelpText(
      "after",
      examples(
        "mudanza runs",
        "mudanza runs --state-dir /var/lib/mudanza",
        "mudanza runs --format json              # for scripts: times and the freeze window as values",
      ),
    )
    .option("--state-dir <dir>", "where journals live")
    .addOption(
      new Option("--format <format>", "text, or json: the runs as one JSON document (mudanza schema runs)")
        .choices(["text", "json"])
        .default("text"),
    )
    // --json means NDJSON events of a run everywhere, as status says too.
    .addOption(new Option("--json").hideHelp())
    .action(async (opts: { stateDir?: string; format: "text" | "json"; json?: boolean }) => {
      if (opts.json)
        throw new BadInputError(
          "--json prints the NDJSON events of a run (run, image, host); runs prints JSON with --format json",
        );
      const { runsTable } = await import("./runs-table.js");
      process.stdout.write((await runsTable(opts.stateDir, opts.format)) + "\n");
      setExit(0);
    });
}
