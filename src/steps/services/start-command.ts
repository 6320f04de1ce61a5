import { cmd, shellQuote } from "../../hosts/quote.js";

/** Starts units on a host: a freeze's undo (a compensation, kept as this text in the journal). */
export const startCommand = (units: string[]): string => cmd("systemctl", "start", "--", ...units);

const PREFIX = startCommand([]) + " ";

/** One shell word as shellQuote writes it: bare, or single-quoted with '\'' for a quote. */
const WORD = /'(?:[^']|'\\'')*'|[^\s']+/g;
const unquote = (word: string): string => (word.startsWith("'") ? word.slice(1, -1).replaceAll(`'\\''`, "'") : word);

/**
 * The units a compensation's command starts, when it is a `startCommand`; undefined for any other command.
 * Read back from the journal (status, a dry run), so a stopped service is named from what the undo will start.
 */
export function unitsStartedBy(command: string): string[] | undefined {
  if (!command.startsWith(PREFIX)) return undefined;
  const units = (command.slice(PREFIX.length).match(WORD) ?? []).map(unquote);
  // Only what startCommand itself writes: anything else (a `&&`, a redirection) is not this command.
  return units.length > 0 && units.map(shellQuote).join(" ") === command.slice(PREFIX.length) ? units : undefined;
}
