import { stat } from "node:fs/promises";
import { BadInputError } from "../../errors.js";
import { journalStemFor, listJournals } from "../../journal/journal-file.js";
import { Journal, type JournalData } from "../../journal/journal.js";
import { loadPlan } from "../../plan/load.js";

interface Found {
  path: string;
  journal: JournalData;
  /** The plan's hashes now; undefined when the journal has no plan file (image, host). */
  planHashes?: string[];
  planProblem?: string;
}

export const isFile = async (path: string): Promise<boolean> => (await stat(path).catch(() => null))?.isFile() ?? false;

/** A plan file's own journal (keyed by its name and path). */
export async function byPlan(planPath: string, stateDir: string): Promise<Found> {
  const loaded = await loadPlan(planPath);
  const path = Journal.pathFor(stateDir, await journalStemFor(stateDir, loaded.migrationId, loaded.path));
  const journal = await Journal.read(path);
  if (!journal) throw new BadInputError(`no journal for plan ${loaded.path} (looked for ${path}): it has not run yet; see mudanza runs`);
  return { path, journal, planHashes: [loaded.hash, ...loaded.formerHashes] };
}

/** A journal named by the ID `mudanza runs` shows (or by its migration name when that is unique). */
export async function byId(id: string, stateDir: string): Promise<Found> {
  const entries = await listJournals(stateDir);
  const exact = entries.filter((e) => e.stem === id);
  const named = exact.length > 0 ? exact : entries.filter((e) => e.data?.migrationId === id);
  if (named.length === 0) throw new BadInputError(`${id} is neither a plan file nor a run in ${stateDir}; see mudanza runs`);
  if (named.length > 1) throw new BadInputError(`${id} names ${named.length} runs (${named.map((e) => `${e.stem}: ${e.data?.planPath}`).join("; ")}); give the ID or the plan file`);
  const entry = named[0]!;
  if (!entry.data) throw new BadInputError(`${entry.path}: ${entry.problem}`);
  const planPath = entry.data.planPath;
  if (planPath.startsWith("(arguments)")) return { path: entry.path, journal: entry.data };
  // Loading the plan tells whether a resume would be accepted.
  try {
    const loaded = await loadPlan(planPath);
    return { path: entry.path, journal: entry.data, planHashes: [loaded.hash, ...loaded.formerHashes] };
  } catch (error) {
    return { path: entry.path, journal: entry.data, planProblem: `the plan cannot be read now (${error instanceof Error ? error.message.split("\n")[0] : String(error)})` };
  }
}

