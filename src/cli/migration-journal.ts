import type { RunMode } from "../engine/runner.js";
import { Journal, type OpenJournalOptions } from "../journal/journal.js";
import type { LoadedPlan } from "../plan/load.js";

/**
 * The journal of a plan's migration, opened by a command that works on what the migration left (rollback,
 * checkpoints --delete): locked for the command's whole run, so no run of the migration starts meanwhile,
 * and only read in a dry run. `changedPlanAdvice`: what to do about an edited plan (these take no --restart).
 */
export function openMigrationJournal(
  loaded: LoadedPlan,
  stateDir: string,
  fileStem: string,
  mode: RunMode,
  changedPlanAdvice: string,
): Promise<Journal> {
  return Journal.open({
    stateDir,
    migrationId: loaded.migrationId,
    fileStem,
    kind: loaded.plan.kind,
    planPath: loaded.path,
    planHash: loaded.hash,
    formerPlanHashes: loaded.formerHashes,
    readOnly: mode === "dry-run",
    changedPlanAdvice,
  });
}

/**
 * Such a command's own journal, beside the migration's (`ID.rollback`): it starts over every time, since its
 * steps are safe to repeat and the migration's journal holds the state.
 */
export function commandJournal(
  loaded: LoadedPlan,
  fileStem: string,
  kind: string,
): Omit<OpenJournalOptions, "stateDir" | "readOnly"> {
  return {
    migrationId: loaded.migrationId,
    fileStem: `${fileStem}.${kind}`,
    kind,
    planPath: loaded.path,
    planHash: loaded.hash,
    restart: true,
  };
}
