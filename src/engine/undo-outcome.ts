import { cmd } from "../hosts/quote.js";

/**
 * A compensation that chooses between branches when it runs (remove a clone only while no VM wrote to it, give
 * a base its mode back only while no clone stands on it) says which one it took on a line starting with this:
 * its title says what it was registered to do, and a report of "undone" for a branch that kept things as they
 * were would lie (found by a new-user trial: "undone: remove overlay lab1" of a clone that was kept).
 */
export const UNDO_OUTCOME_PREFIX = "mudanza-undo: ";

/**
 * The same for a branch that kept things as they were (a clone kept, a base left read-only): the step's change
 * still holds, so `status` must not show that step undone (new-user trial 8, finding 6).
 */
export const UNDO_KEPT_PREFIX = "mudanza-undo-kept: ";

/** A shell command that reports `text` as what the undo did. */
export const sayUndoOutcome = (text: string): string => cmd("printf", "%s\\n", `${UNDO_OUTCOME_PREFIX}${text}`);

/** A shell command that reports `text` as what the undo did when it kept the step's change. */
export const sayUndoKept = (text: string): string => cmd("printf", "%s\\n", `${UNDO_KEPT_PREFIX}${text}`);

/** What a compensation's command said it did (its outcome lines, joined), or undefined when it said nothing. */
export function undoOutcome(stdout: string): string | undefined {
  const said = outcomeLines(stdout).map((line) => line.text);
  return said.length > 0 ? said.join("; ") : undefined;
}

/** Whether every outcome line the command said was a kept one (and it said at least one). */
export function undoKeptAll(stdout: string): boolean {
  const lines = outcomeLines(stdout);
  return lines.length > 0 && lines.every((line) => line.kept);
}

function outcomeLines(stdout: string): Array<{ text: string; kept: boolean }> {
  return stdout.split("\n").flatMap((line) => {
    const kept = line.startsWith(UNDO_KEPT_PREFIX);
    if (!kept && !line.startsWith(UNDO_OUTCOME_PREFIX)) return [];
    const text = line.slice((kept ? UNDO_KEPT_PREFIX : UNDO_OUTCOME_PREFIX).length).trim();
    return text.length > 0 ? [{ text, kept }] : [];
  });
}
