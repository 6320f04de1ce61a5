import { BadInputError } from "../errors.js";
import { exitCodeForRun } from "../exit-codes.js";
import { connectCheckpointHosts } from "../checkpoints/index.js";
import { connectHost } from "../hosts/connect.js";
import { cmd } from "../hosts/quote.js";
import { journalStemFor } from "../journal/journal-file.js";
import { journalsOfOtherPlanFiles, otherPlanFilesText } from "../journal/other-plan-journals.js";
import { buildOpenvzToKvm, targetKeysOnResume } from "../pipelines/openvz-to-kvm/pipeline.js";
import { buildRollback } from "../pipelines/rollback/pipeline.js";
import { loadPlan } from "../plan/load.js";
import type { PlanOf } from "../plan/schema.js";
import { liveCheckpoints, takenCheckpoints, type RollbackTarget } from "../steps/rollback/context.js";
import type { RunMode } from "../engine/events.js";
import { drivePipeline, resolveRunMode } from "./drive-pipeline.js";
import { commandJournal, openMigrationJournal } from "./migration-journal.js";
import { stateDirToRead } from "./state-dir.js";

export interface RollbackCommandOptions {
  to?: string;
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  stateDir?: string;
}

/** The step a checkpoint precedes: the first one a rollback to it undoes. */
const FIRST_UNDONE = { "before-update": "checkpoint-before-update", "before-copy": "checkpoint-before-copy" } as const;

/** `mudanza rollback PLAN [--to NAME]`: returns the hosts to a checkpoint the migration took. Returns the exit code. */
export async function rollbackCommand(planPath: string, options: RollbackCommandOptions): Promise<number> {
  const loaded = await loadPlan(planPath);
  if (loaded.plan.kind !== "openvz-to-kvm")
    throw new BadInputError(
      `${loaded.path}: rollback applies to openvz-to-kvm migrations (this plan is ${loaded.plan.kind})`,
    );
  const plan = loaded.plan as PlanOf<"openvz-to-kvm">;
  // Whether gates can be answered matters only when there is something to roll back: that is said first (found
  // by a new-user trial: --yes asked for, then "nothing to roll back"). Until then the journal is only read.
  let refusal: unknown;
  let mode: RunMode = "dry-run";
  try {
    mode = resolveRunMode(options);
  } catch (error) {
    refusal = error;
  }
  // Only a migration's own journal can name checkpoints: a --state-dir that does not exist is a typo.
  const stateDir = stateDirToRead(options.stateDir);
  const stem = await journalStemFor(stateDir, loaded.migrationId, loaded.path);
  // Held for the whole rollback: no run of the migration may start meanwhile.
  const migration = await openMigrationJournal(
    loaded,
    stateDir,
    stem,
    mode,
    "Restore the plan the migration ran with: a rollback returns the hosts and checkpoints that plan names (rollback takes no --restart).",
  );
  try {
    const taken = liveCheckpoints(migration.snapshot.facts);
    const deleted = takenCheckpoints(migration.snapshot.facts).filter((c) => c.deletedAt);
    // No run recorded: there is no journal to name, only the state dir it was looked for in, or the journals
    // this migration has under another plan path (the plan was moved since it ran).
    if (migration.snapshot.runs.length === 0) {
      const others = await journalsOfOtherPlanFiles(stateDir, loaded.migrationId, loaded.path);
      if (others.length > 0) throw new BadInputError(otherPlanFilesText(loaded.migrationId, loaded.path, others));
      throw new BadInputError(
        `migration "${loaded.migrationId}" has not run with the state dir ${stateDir} (no journal for it there): ` +
          `there is nothing to roll back to${options.stateDir ? "" : " (if its runs used --state-dir, pass the same one)"}`,
      );
    }
    if (taken.length === 0)
      throw new BadInputError(
        deleted.length > 0
          ? `the checkpoints of migration "${loaded.migrationId}" were deleted (${deleted.map((c) => `${c.name} of the ${c.side} at ${c.deletedAt}`).join("; ")}; journal ${migration.path}): there is nothing to roll back to`
          : `migration "${loaded.migrationId}" took no checkpoint (journal ${migration.path}): there is nothing to roll back to`,
      );
    if (refusal) throw refusal;
    const chosen = options.to
      ? taken.filter((c) => c.name === options.to)
      : taken.filter(
          (c) =>
            c.name ===
            [...taken]
              .filter((t) => t.side === "target")
              .sort((a, b) => a.takenAt.localeCompare(b.takenAt))
              .at(-1)?.name,
        );
    if (chosen.length === 0)
      throw new BadInputError(
        `--to ${options.to}: migration "${loaded.migrationId}" took ${[...new Set(taken.map((c) => c.name))].join(", ")}`,
      );
    const migrationPipeline = buildOpenvzToKvm(plan);
    const target: RollbackTarget = {
      migration,
      name: chosen[0]!.name,
      purpose: chosen[0]!.purpose,
      sides: chosen.map((c) => c.side),
      stepIds: migrationPipeline.steps.map((s) => s.id),
      firstUndoneStep: FIRST_UNDONE[chosen[0]!.purpose],
    };
    const resumeCommand = cmd(
      "mudanza",
      "rollback",
      loaded.path,
      "--to",
      target.name,
      ...(options.yes ? ["--yes"] : []),
      ...(options.stateDir ? ["--state-dir", stateDir] : []),
    );
    const outcome = await drivePipeline({
      pipeline: buildRollback(target, resumeCommand),
      plan,
      mode,
      flags: options,
      stateDir,
      journal: commandJournal(loaded, stem, "rollback"),
      // A rollback locks the migration's journal: a run of the migration under way refuses it.
      lockedJournal: { path: migration.path, command: "rollback" },
      async connect(hosts, _facts, signal) {
        // The target presents its own keys or (after a copy) the source's: both were journaled by the migration.
        const expected = targetKeysOnResume(migration.snapshot.facts, plan.target.hostKey);
        hosts.source = await connectHost(plan.source, "source", { signal });
        hosts.target = await connectHost(plan.target, "target", { acceptHostKeys: expected.target, signal });
        await connectCheckpointHosts(plan.checkpoints, hosts, signal);
      },
      resumeCommand,
    });
    return exitCodeForRun(outcome);
  } finally {
    await migration.close();
  }
}
