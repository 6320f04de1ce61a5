import { cmd } from "../hosts/quote.js";

/**
 * A compensation that chooses between branches when it runs (remove a clone only while no VM wrote to it, give
 * a base its mode back only while no clone stands on it) says which one it took on a line starting with this:
 * its title says what it was registered to do, and a report of "undone" for a branch that kept things as they
 * were would lie (found by a new-user trial: "undone: remove overlay lab1" of a clone that was kept).
 */
export const UNDO_OUTCOME_PREFIX = "mudanza-undo: ";

/** A shell command that reports `text` as what the undo did. */
export const sayUndoOutcome = (text: string): string => cmd("printf", "%s\\n", `${UNDO_OUTCOME_PREFIX}${text}`);

/** What a compensation's command said it did (its outcome lines, joined), or undefined when it said nothing. */
export function undoOutcome(stdout: string): string | undefined {
  const said = stdout
    .split("\n")
    .filter((line) => line.startsWith(UNDO_OUTCOME_PREFIX))
    .map((line) => line.slice(UNDO_OUTCOME_PREFIX.length).trim())
    .filter((line) => line.length > 0);
  return said.length > 0 ? said.join("; ") : undefined;
}
