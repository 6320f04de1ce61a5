import { Option, type Command } from "commander";
import { BadInputError } from "../../errors.js";
import { examples } from "../examples.js";
import { writeStdout } from "../plain-stdout.js";
import type { ExitSetter } from "../program.js";
import { stateDirToRead } from "../state-dir.js";

export function registerStatus(program: Command, setExit: ExitSetter): void {
  program
    .command("status")
    .description(
      "show where a migration stands: steps, durations, freeze window, pending compensations; without an argument, list every run",
    )
    .addHelpText(
      "after",
      examples(
        "mudanza status web1.yaml",
        "mudanza status web1.yaml --format json   # the journal as JSON",
        "mudanza status web1.3f9a0c1d             # an ID from mudanza runs",
        "mudanza status                           # every run in the state directory",
      ),
    )
    .argument("[plan-or-id]", "plan file (YAML), or a run ID from `mudanza runs`")
    .option("--state-dir <dir>", "where journals live")
    .addOption(
      new Option(
        "--format <format>",
        "text, or json: the journal and the run's state (running, killed, done…) as one JSON document (mudanza schema status; without a plan or ID, the runs: mudanza schema runs)",
      )
        .choices(["text", "json"])
        .default("text"),
    )
    // --json means NDJSON events of a run everywhere; status runs nothing, so it points to --format json.
    .addOption(new Option("--json").hideHelp())
    .action(
      async (target: string | undefined, opts: { stateDir?: string; format: "text" | "json"; json?: boolean }) => {
        if (opts.json)
          throw new BadInputError(
            "--json prints the NDJSON events of a run (run, image, host); status prints the journal as JSON with --format json",
          );
        if (target === undefined) {
          const { runsTable } = await import("./runs-table.js");
          writeStdout((await runsTable(opts.stateDir, opts.format)) + "\n");
          setExit(0);
          return;
        }
        const stateDir = stateDirToRead(opts.stateDir);
        const { byId, byPlan, isFile, lockHeld, renderStatus, readLogEvents, statusDocument } =
          await import("./status-show.js");
        const found = (await isFile(target)) ? await byPlan(target, stateDir) : await byId(target, stateDir);
        if (opts.format === "json") {
          writeStdout(JSON.stringify(statusDocument(found.journal, lockHeld(found.path)), null, 2) + "\n");
          setExit(0);
          return;
        }
        const events = await readLogEvents(found.path.replace(/\.journal\.json$/, ".log.ndjson"));
        writeStdout(
          renderStatus(found.journal, found.planHashes, events, {
            journalPath: found.path,
            planProblem: found.planProblem,
            lockHeld: lockHeld(found.path),
            stateDirs: { now: stateDir, default: stateDirToRead(undefined) },
          }) + "\n",
        );
        setExit(0);
      },
    );
}
