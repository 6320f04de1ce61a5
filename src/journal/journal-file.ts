import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Journal, type JournalData } from "./journal.js";

const SUFFIX = ".journal.json";

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

/** `web1.3f9a0c1d`: the plan's name and the first 8 hex digits of sha256(absolute plan path). */
export const pathKeyedStem = (migrationId: string, planPath: string): string => `${migrationId}.${createHash("sha256").update(planPath).digest("hex").slice(0, 8)}`;

export interface JournalEntry {
  path: string;
  /** The file name without .journal.json: what `mudanza status ID` takes. */
  stem: string;
  data: JournalData | null;
  /** Why data is null: the file is not a readable journal. */
  problem?: string;
}

/** Every journal in the state directory, readable or not (a broken one is listed with its problem). */
export async function listJournals(stateDir: string): Promise<JournalEntry[]> {
  const names = await readdir(stateDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const entries = names.filter((n) => n.endsWith(SUFFIX)).sort();
  return Promise.all(
    entries.map(async (name): Promise<JournalEntry> => {
      const path = join(stateDir, name);
      const stem = name.slice(0, -SUFFIX.length);
      try {
        return { path, stem, data: await Journal.read(path) };
      } catch (error) {
        return { path, stem, data: null, problem: error instanceof Error ? error.message.split("\n")[0] : String(error) };
      }
    }),
  );
}
