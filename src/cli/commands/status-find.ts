import { statSync } from "node:fs";
import { planFilePath } from "../../plan/plan-file-path.js";
import { BadInputError } from "../../errors.js";
import { listJournals, type JournalEntry } from "../../journal/journal-list.js";
import { journalPathFor, pathKeyedStem } from "../../journal/journal-names.js";
import { readJournalToShow } from "../../journal/journal-read.js";
import type { JournalData } from "../../journal/journal.js";
import { planTextHash, readPlanText } from "../../plan/read-plan-text.js";

interface Found {
  path: string;
  journal: JournalData;
  /** The plan's hashes now; undefined when the journal has no plan file (image, host). */
  planHashes?: string[];
  planProblem?: string;
}

// `status` starts without yaml and zod when it can: a plan file whose text is the one its journal's last
// run accepted (planTextHash) needs no parsing to be found or compared. Any other plan is loaded in full.

// Synchronous file system calls on status's path: each promise of node:fs/promises waits on libuv's thread pool,
// whose threads a start would otherwise create (and loading node:fs/promises itself costs ~7M instructions).
export const isFile = async (path: string): Promise<boolean> => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Something other than a regular file is at this path (isFile said no). */
const existsAsOther = (path: string): boolean => {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
};

/** A plan file's own journal (keyed by its name and path). */
export async function byPlan(planPath: string, stateDir: string): Promise<Found> {
  const absolute = planFilePath(planPath);
  const textHash = planTextHash(await readPlanText(absolute, planPath));
  const untouched = (await listJournals(stateDir)).filter(
    (e) => e.data?.planTextHash === textHash && isJournalOf(e, absolute),
  );
  if (untouched.length === 1)
    return { path: untouched[0]!.path, journal: untouched[0]!.data!, planHashes: [untouched[0]!.data!.planHash] };
  const { loadPlan } = await import("../../plan/load.js");
  const { journalStemFor } = await import("../../journal/journal-file.js");
  const loaded = await loadPlan(planPath);
  const path = journalPathFor(stateDir, await journalStemFor(stateDir, loaded.migrationId, loaded.path));
  const journal = await readJournalToShow(path);
  if (!journal) {
    const { journalsOfOtherPlanFiles, otherPlanFilesText } = await import("../../journal/other-plan-journals.js");
    const others = await journalsOfOtherPlanFiles(stateDir, loaded.migrationId, loaded.path);
    if (others.length > 0) throw new BadInputError(otherPlanFilesText(loaded.migrationId, loaded.path, others));
    throw new BadInputError(
      `no journal for plan ${loaded.path} (looked for ${path}): it has not run with this state dir; if its runs used --state-dir, pass the same one (see mudanza runs)`,
    );
  }
  return { path, journal, planHashes: [loaded.hash, ...loaded.formerHashes] };
}

/** The journal file the plan at `planPath` would use: its name is the journal's migration, by name or by name and path. */
const isJournalOf = (entry: JournalEntry, planPath: string): boolean =>
  entry.data?.planPath === planPath &&
  (entry.stem === entry.data.migrationId || entry.stem === pathKeyedStem(entry.data.migrationId, planPath));

/** A journal named by the ID `mudanza runs` shows (or by its migration name when that is unique). */
export async function byId(id: string, stateDir: string): Promise<Found> {
  const entries = await listJournals(stateDir);
  const exact = entries.filter((e) => e.stem === id);
  const named = exact.length > 0 ? exact : entries.filter((e) => e.data?.migrationId === id);
  if (named.length === 0) {
    // A folder (or fifo) where a plan was meant is refused as `run` refuses it (new-user trial 10), not as an ID.
    if (existsAsOther(id)) await readPlanText(planFilePath(id), id);
    throw new BadInputError(`${id} is neither a plan file nor a run in ${stateDir}; see mudanza runs`);
  }
  if (named.length > 1)
    throw new BadInputError(
      `${id} names ${named.length} runs (${named.map((e) => `${e.stem}: ${e.data?.planPath}`).join("; ")}); give the ID or the plan file`,
    );
  const entry = named[0]!;
  if (!entry.data) throw new BadInputError(`${entry.path}: ${entry.problem}`);
  const planPath = entry.data.planPath;
  if (planPath.startsWith("(arguments)")) return { path: entry.path, journal: entry.data };
  // Loading the plan tells whether a resume would be accepted.
  try {
    return { path: entry.path, journal: entry.data, planHashes: await currentPlanHashes(planPath, entry.data) };
  } catch (error) {
    return {
      path: entry.path,
      journal: entry.data,
      planProblem: `the plan cannot be read now (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`,
    };
  }
}

async function currentPlanHashes(planPath: string, journal: JournalData): Promise<string[]> {
  if (journal.planTextHash === planTextHash(await readPlanText(planPath, planPath))) return [journal.planHash];
  const { loadPlan } = await import("../../plan/load.js");
  const loaded = await loadPlan(planPath);
  return [loaded.hash, ...loaded.formerHashes];
}
