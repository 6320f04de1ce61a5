import { journalStemFor } from "../../src/journal/journal-file.js";
import { Journal } from "../../src/journal/journal.js";
import { loadPlan, type LoadedPlan } from "../../src/plan/load.js";

/**
 * The journal of the plan at `planPath`'s migration in `stateDir`, opened under the name `mudanza run` gives it
 * (journalStemFor). `withTextHash`: it also records the plan text's hash, as a run does, which `status PLAN`
 * matches first.
 */
export async function openPlanJournal(
  planPath: string,
  stateDir: string,
  { withTextHash = false } = {},
): Promise<{ journal: Journal; loaded: LoadedPlan; stem: string }> {
  const loaded = await loadPlan(planPath);
  const stem = await journalStemFor(stateDir, loaded.migrationId, loaded.path);
  const journal = await Journal.open({
    stateDir,
    migrationId: loaded.migrationId,
    fileStem: stem,
    kind: loaded.plan.kind,
    planPath: loaded.path,
    planHash: loaded.hash,
    ...(withTextHash ? { planTextHash: loaded.textHash } : {}),
  });
  return { journal, loaded, stem };
}
