import { Journal } from "./journal.js";
import { pathKeyedStem } from "./journal-names.js";

/**
 * The journal file name (without .journal.json) of a plan: its name and a short hash of its path, so two
 * plan files with the same `name` keep separate journals. A journal from before (named by `name` alone)
 * that belongs to this very plan file is still used.
 */
export async function journalStemFor(stateDir: string, migrationId: string, planPath: string): Promise<string> {
  // A journal there that cannot be read may be this plan's: using it lets Journal.open report the damage.
  const legacy = await Journal.read(Journal.pathFor(stateDir, migrationId)).then(
    (data) => data,
    () => "unreadable" as const,
  );
  if (legacy === "unreadable" || legacy?.planPath === planPath) return migrationId;
  return pathKeyedStem(migrationId, planPath);
}
