import { Option, type Command } from "commander";
import type { ExitSetter } from "../program.js";
import { examples } from "../examples.js";

export function registerRollback(program: Command, setExit: ExitSetter): void {
  program
    .command("rollback")
    .description("return the hosts of a migration to a checkpoint it took, restart what it stopped, rewind its journal")
    .addHelpText(
      "after",
      examples(
        "mudanza rollback web1.yaml --dry-run                 # what it would do",
        "mudanza rollback web1.yaml --yes                     # to the latest checkpoint of the target",
        "mudanza rollback web1.yaml --to mz-web1-before-update",
      ),
    )
    .argument("<plan>", "plan file (YAML) of the migration")
    .option("--to <name>", "the checkpoint to return to (default: the latest the migration took of the target)")
    .option("-y, --yes", "accept every gate without asking (scripts, CI)")
    .option("--dry-run", "run every probe, change nothing, print a report")
    .option("--json", "print events as NDJSON, one per line")
    .option("--state-dir <dir>", "where journals, logs and reports live")
    .action(
      async (
        plan: string,
        opts: { to?: string; yes?: boolean; dryRun?: boolean; json?: boolean; stateDir?: string },
      ) => {
        const { rollbackCommand } = await import("../rollback-command.js");
        setExit(await rollbackCommand(plan, opts));
      },
    );
  program
    .command("checkpoints")
    .description(
      "list the checkpoints a migration's plan names, as their backends list them, and which its journal records as its own",
    )
    .argument("<plan>", "plan file (YAML) of the migration")
    .option(
      "--delete",
      "delete every checkpoint this plan's migration took, as its journal records them (after which rollback is no longer possible): lists them and asks first",
    )
    .option("-y, --yes", "with --delete: delete without asking (scripts, CI)")
    .option("--dry-run", "with --delete: list what would be deleted, delete nothing")
    .option("--even-if-unfinished", "with --delete: delete though the migration's journal says it is not finished")
    .option("--json", "with --delete: print events as NDJSON, one per line")
    .addOption(
      new Option(
        "--format <format>",
        "text, or json: the listing as one JSON document (mudanza schema checkpoints)",
      ).choices(["text", "json"]),
    )
    .option("--state-dir <dir>", "where the migration's journal lives")
    .addHelpText(
      "after",
      examples(
        "mudanza checkpoints web1.yaml                     # what the migration took, as the backends list them",
        "mudanza checkpoints web1.yaml --format json       # the same for scripts",
        "mudanza checkpoints web1.yaml --delete --dry-run  # what --delete would delete",
        "mudanza checkpoints web1.yaml --delete            # once the VM is trusted: asks, then no rollback after this",
      ),
    )
    .action(
      async (
        plan: string,
        opts: {
          delete?: boolean;
          yes?: boolean;
          dryRun?: boolean;
          evenIfUnfinished?: boolean;
          json?: boolean;
          format?: "text" | "json";
          stateDir?: string;
        },
      ) => {
        const { checkpointsCommand } = await import("../checkpoints-command.js");
        setExit(await checkpointsCommand(plan, opts));
      },
    );
}
