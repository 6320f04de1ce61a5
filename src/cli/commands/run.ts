import { Option, type Command } from "commander";
import type { ExitSetter } from "../program.js";
import { examples } from "../examples.js";

export function registerRun(program: Command, setExit: ExitSetter): void {
  program
    .command("run")
    .description("run a migration plan (interactive on a terminal), or check it with --dry-run")
    .addHelpText(
      "after",
      examples(
        "mudanza run web1.yaml --dry-run        # every check, nothing changed",
        "mudanza run web1.yaml                  # asks before each destructive step",
        "mudanza run web1.yaml --yes            # scripts and CI",
      ),
    )
    .argument("<plan>", "plan file (YAML)")
    .option("-y, --yes", "accept every gate without asking (scripts, CI)")
    .option("--dry-run", "run every probe, change nothing, print a report")
    .addOption(new Option("--format <format>", "dry-run report format").choices(["md", "json"]))
    .option("--json", "print events as NDJSON, one per line")
    .option("--state-dir <dir>", "where journals, logs and reports live")
    .option("--restart", "start over with a new journal (the earlier one is kept as JOURNAL.before-restart-TIME)")
    .action(
      async (
        plan: string,
        opts: {
          yes?: boolean;
          dryRun?: boolean;
          format?: "md" | "json";
          json?: boolean;
          stateDir?: string;
          restart?: boolean;
        },
      ) => {
        const { runCommand } = await import("../run-command.js");
        setExit(await runCommand(plan, opts));
      },
    );
}
