import { shellQuote } from "../hosts/quote.js";

/** ` --state-dir DIR` in a command built with cmd(): DIR bare, or single-quoted with '\'' for a quote. */
const STATE_DIR_ARG = / --state-dir ('(?:[^']|'\\'')*'|[^\s']+)/;

const unquote = (word: string): string => (word.startsWith("'") ? word.slice(1, -1).replaceAll(`'\\''`, "'") : word);

/**
 * A run's recorded resume command, pointed at the state dir its journal is read from now: a state folder
 * copied or moved since (another disk, another machine) must not send the resume to the old one (found by a
 * new-user trial). Both dirs are absolute; `defaultStateDir` is where a command without --state-dir looks.
 */
export function resumeCommandIn(recorded: string, stateDir: string, defaultStateDir: string): string {
  const given = STATE_DIR_ARG.exec(recorded);
  const pointed = ` --state-dir ${shellQuote(stateDir)}`;
  if (!given) return stateDir === defaultStateDir ? recorded : `${recorded}${pointed}`;
  return unquote(given[1]!) === stateDir ? recorded : recorded.replace(given[0], pointed);
}
