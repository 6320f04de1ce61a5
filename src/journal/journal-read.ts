import { readFileSync } from "node:fs";
import { BadInputError } from "../errors.js";
import type { JournalData } from "./journal.js";
import { journalShape } from "./journal-shape.js";

/** What a validator says of a parsed journal: its data, or the first problem (a dotted path and why). */
export type JournalCheck = (json: unknown) => { data: JournalData } | { path: string; message: string };

/**
 * Reads a journal file; null when there is none. A file that is not JSON, or that `check` refuses, is
 * a BadInputError naming the way out (--restart).
 */
export async function readJournalWith(path: string, check: JournalCheck): Promise<JournalData | null> {
  let text: string;
  try {
    // Synchronous: a journal is small, and status and runs then start without the thread pool.
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new BadInputError(`cannot read the journal ${path}: ${code ?? String(error)}`);
  }
  const damaged = (why: string) =>
    new BadInputError(
      `the journal ${path} is damaged (${why}): run again with --restart to start over with a new journal (this one is kept as JOURNAL.before-restart-TIME), after checking the hosts by hand (its pending compensations cannot be read)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw damaged(text.trim() === "" ? "empty" : (error as Error).message);
  }
  const checked = check(json);
  if ("path" in checked) throw damaged(`${checked.path || "(top level)"}: ${checked.message}`);
  return checked.data;
}

/** The light check: the journal's shape without zod, for the commands that only show it. */
export const lightJournalCheck: JournalCheck = (json) => {
  const result = journalShape(json, []);
  return result.ok
    ? { data: result.value as JournalData }
    : { path: result.path.join("."), message: `Invalid input: ${result.message}` };
};

/** A journal as `status` and `runs` read it: checked by its light shape, zod never loaded. */
export const readJournalToShow = (path: string): Promise<JournalData | null> =>
  readJournalWith(path, lightJournalCheck);
