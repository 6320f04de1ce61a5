import { BlockedError } from "../errors.js";
import { shellQuote } from "../hosts/quote.js";
import { journalPathFor } from "../journal/journal-names.js";
import { readJournalToShow } from "../journal/journal-read.js";
import { finishRollbackCommand, rollbackUnderWay, rollbackUnderWayText } from "../journal/rollback-under-way.js";
import type { LoadedPlan } from "../plan/load.js";

/**
 * A run of a migration whose rollback reverted a side and stopped before rewinding the journal would carry on
 * from the journal's steps on hosts that are no longer where those steps left them (new-user trial 12: it went
 * straight on, no warning). Refused before any host is reached, dry run included (it has no step to report it
 * under); --restart, which starts over from the first step with a new journal, is the one way on without it.
 */
export async function refuseUnfinishedRollback(
  loaded: LoadedPlan,
  stateDir: string,
  fileStem: string,
  givenStateDir: boolean,
): Promise<void> {
  const journal = await readJournalToShow(journalPathFor(stateDir, fileStem));
  const underWay = journal && rollbackUnderWay(journal.facts);
  if (!underWay) return;
  const finish = `${finishRollbackCommand(loaded.path, underWay)}${givenStateDir ? ` --state-dir ${shellQuote(stateDir)}` : ""}`;
  throw new BlockedError(
    `migration "${loaded.migrationId}": ${rollbackUnderWayText(underWay)}. A run now would go on from where the journal stands, on hosts that are not there: ` +
      `finish the rollback first (${finish}), then run the plan again. ` +
      `To start the migration over from its first step on the hosts as they are now instead (the journal is kept aside), pass --restart`,
  );
}
