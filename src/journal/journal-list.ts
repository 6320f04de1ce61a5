import { readdirSync } from "node:fs";
import { join } from "node:path";
import { BadInputError } from "../errors.js";
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
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw await unreadableStateDir(stateDir, error);
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

/** A state dir that cannot be listed (a file, a folder under a file, no permission) is bad input naming it. */
async function unreadableStateDir(stateDir: string, error: unknown): Promise<Error> {
  // Loaded only here: prepareStateDir brings node:fs/promises, which the listing avoids on the way to a table.
  const { prepareStateDir } = await import("./state-dir.js");
  const errno = (error as NodeJS.ErrnoException).code ?? String(error);
  try {
    await prepareStateDir(stateDir, false);
  } catch (problem) {
    if (problem instanceof BadInputError) return problem;
  }
  return new BadInputError(`cannot list the state dir ${stateDir}: ${errno}`);
}
