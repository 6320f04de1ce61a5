import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { JournalData } from "./journal.js";
import { readJournalToShow } from "./journal-read.js";

const SUFFIX = ".journal.json";

export interface JournalEntry {
  path: string;
  /** The file name without .journal.json: what `mudanza status ID` takes. */
  stem: string;
  data: JournalData | null;
  /** Why data is null: the file is not a readable journal. */
  problem?: string;
}

/**
 * Every journal in the state directory, readable or not (a broken one is listed with its problem), read
 * by the light check: `runs` and `status` list journals without loading zod.
 */
export async function listJournals(stateDir: string): Promise<JournalEntry[]> {
  // Synchronous, like the journals' reads (readJournalWith): status and runs start without the thread pool.
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    names = [];
  }
  const entries = names.filter((n) => n.endsWith(SUFFIX)).sort();
  return Promise.all(
    entries.map(async (name): Promise<JournalEntry> => {
      const path = join(stateDir, name);
      const stem = name.slice(0, -SUFFIX.length);
      try {
        return { path, stem, data: await readJournalToShow(path) };
      } catch (error) {
        return {
          path,
          stem,
          data: null,
          problem: error instanceof Error ? error.message.split("\n")[0] : String(error),
        };
      }
    }),
  );
}
