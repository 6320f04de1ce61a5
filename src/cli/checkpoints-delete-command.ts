import { existsSync } from "node:fs";
import { connectCheckpointHosts } from "../checkpoints/index.js";
import { BadInputError, BlockedError } from "../errors.js";
import { exitCodeForRun } from "../exit-codes.js";
import { cmd, shellQuote } from "../hosts/quote.js";
import { journalStemFor } from "../journal/journal-file.js";
import { Journal } from "../journal/journal.js";
import { lockHeld } from "../journal/lock-state.js";
import { journalsOfOtherPlanFiles, otherPlanFilesText } from "../journal/other-plan-journals.js";
import { buildCheckpointsDelete } from "../pipelines/checkpoints-delete/pipeline.js";
import type { LoadedPlan } from "../plan/load.js";
import type { PlanOf } from "../plan/schema.js";
import { drivePipeline, resolveRunMode } from "./drive-pipeline.js";
import { commandJournal, openMigrationJournal } from "./migration-journal.js";
import { stateDirToRead } from "./state-dir.js";

export interface CheckpointsDeleteOptions {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  stateDir?: string;
  evenIfUnfinished?: boolean;
}

/**
 * `mudanza checkpoints PLAN --delete`: after it no rollback is possible, so it goes through a gate like every
 * destructive step (asked on a terminal, --yes otherwise, --dry-run lists), never while a run of the migration
 * goes on, and not while its journal says it is unfinished unless told to. Returns the exit code.
 */
export async function checkpointsDeleteCommand(
  loaded: LoadedPlan,
  planArg: string,
  options: CheckpointsDeleteOptions,
): Promise<number> {
  const plan = loaded.plan as PlanOf<"openvz-to-kvm">;
  const mode = resolveRunMode(options, "--dry-run to only list what it would delete");
  const stateDir = stateDirToRead(options.stateDir);
  const stem = await journalStemFor(stateDir, loaded.migrationId, loaded.path);
  const journalPath = Journal.pathFor(stateDir, stem);
  const journalFound = existsSync(journalPath);
  if (!journalFound) {
    // A moved plan: its migration's journal is under the old path, and may say a rollback is still needed.
    const others = await journalsOfOtherPlanFiles(stateDir, loaded.migrationId, loaded.path);
    if (others.length > 0) throw new BadInputError(otherPlanFilesText(loaded.migrationId, loaded.path, others));
  }
  if (lockHeld(journalPath))
    throw new BlockedError(
      `migration "${loaded.migrationId}" is running now: a live mudanza holds the lock of its journal ${journalPath}. ` +
        `Its checkpoints are what a rollback of that run returns to: wait until it ends (mudanza status ${stem}${options.stateDir ? ` --state-dir ${shellQuote(stateDir)}` : ""} shows it), then run this again`,
    );
  // Held for the whole deletion (no run may start meanwhile); a dry run only reads it.
  const migration = await openMigrationJournal(
    loaded,
    stateDir,
    stem,
    mode,
    "Restore the plan the migration ran with: its checkpoints are the ones that plan names (checkpoints takes no --restart).",
  );
  try {
    const resumeCommand = cmd(
      "mudanza",
      "checkpoints",
      loaded.path,
      "--delete",
      ...(options.yes ? ["--yes"] : []),
      ...(options.evenIfUnfinished ? ["--even-if-unfinished"] : []),
      ...(options.stateDir ? ["--state-dir", stateDir] : []),
    );
    const outcome = await drivePipeline({
      pipeline: buildCheckpointsDelete({
        migration,
        journalFound,
        evenIfUnfinished: Boolean(options.evenIfUnfinished),
        planArgs: cmd(planArg, ...(options.stateDir ? ["--state-dir", stateDir] : [])),
      }),
      plan,
      mode,
      flags: options,
      stateDir,
      // Each deletion starts over: its step lists the backends again.
      journal: commandJournal(loaded, stem, "checkpoints-delete"),
      async connect(hosts, _facts, signal) {
        await connectCheckpointHosts(plan.checkpoints, hosts, signal);
      },
      resumeCommand,
    });
    return exitCodeForRun(outcome);
  } finally {
    await migration.close();
  }
}
