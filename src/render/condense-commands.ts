import type { PlannedCommand } from "../engine/events.js";

/** A planned command as a gate or the Markdown report prints it: whole, or without what it shares with an earlier one. */
export interface ShownCommand {
  command: PlannedCommand;
  /** What follows the "$ ": the command, or it with its stretches shared with command `label` cut. */
  text: string;
  /** A long command shown whole: later ones name it by this ("(1)"). */
  label?: string;
  /** The label of the earlier command whose words `text` leaves out. */
  refersTo?: string;
}

/** Shorter commands are always shown whole: cutting them saves no screen. */
const LONG_CHARS = 300;
/** A common stretch shorter than this stays: its marker would be about as long. */
const MIN_SHARED_CHARS = 60;

/** The marker that stands for a stretch of words the same as in command `label`. */
export const sharedMarker = (label: string): string => `…${label}…`;

/**
 * Each distinct long command once, in order: a later one that repeats a long command (a copy's passes, the
 * freeze's fallback and proof rsyncs, each wrapped in the same lock shell) prints only what differs from it:
 * the shared words as "…(1)…", the words it lacks as "[without: …]". The gate and the Markdown report both
 * print through this; the commands themselves are unchanged (the --json events, the run log and the JSON
 * report keep them whole).
 */
export function condenseCommands(
  commands: PlannedCommand[],
  /** Where a run of --exclude options, shown as "--exclude=… (N paths…)", can be read whole: N → the words after N. */
  excludesAt?: (count: number) => string,
): ShownCommand[] {
  // Labels are given once the list is done, and only to commands a later one refers to.
  const whole: Array<{ index: number; words: string[] }> = [];
  const drafts = commands.map((command, index) => {
    if (command.command.length < LONG_CHARS) return { command, parts: [command.command] as Part[] };
    const words = command.command.split(" ");
    const same = whole.find((w) => w.words.join(" ") === command.command);
    if (same) return { command, parts: [{ same: same.index }] as Part[] };
    let best: { parts: Part[]; length: number } | undefined;
    for (const earlier of whole) {
      const parts = withoutShared(words, earlier.words, earlier.index);
      const length = parts.reduce((sum, p) => sum + (typeof p === "string" ? p.length + 1 : 8), 0);
      if (!best || length < best.length) best = { parts, length };
    }
    // Worth it when it leaves out much: else the reader pieces two commands together for little.
    if (best && best.length <= (command.command.length * 2) / 3) return { command, parts: best.parts };
    whole.push({ index, words });
    return { command, parts: [command.command] as Part[] };
  });
  const referred = [
    ...new Set(drafts.flatMap((d) => d.parts.flatMap((p) => (typeof p === "string" ? [] : [refOf(p)])))),
  ]
    .filter((index) => index >= 0)
    .sort((x, y) => x - y);
  const labelOf = (index: number): string => `(${referred.indexOf(index) + 1})`;
  return drafts.map(({ command, parts }, index) => {
    const joined = parts
      .map((p) =>
        typeof p === "string"
          ? p
          : "same" in p
            ? `(the same command as ${labelOf(p.same)})`
            : "shared" in p
              ? sharedMarker(labelOf(p.shared))
              : `[without: ${p.without}]`,
      )
      .join(" ");
    const first = parts.find((p): p is Exclude<Part, string> => typeof p !== "string" && refOf(p) >= 0);
    return {
      command,
      text: excludesAt ? shortenExcludes(joined, excludesAt) : joined,
      ...(referred.includes(index) ? { label: labelOf(index) } : {}),
      ...(first ? { refersTo: labelOf(refOf(first)) } : {}),
    };
  });
}

/** A piece of a shown command: its own words, or a marker for words of command `index`. */
type Part = string | { same: number } | { shared: number } | { without: string };
const refOf = (p: Exclude<Part, string>): number => ("same" in p ? p.same : "shared" in p ? p.shared : -1);

/**
 * `words` against the earlier command's: every common stretch of at least MIN_SHARED_CHARS as a marker, the
 * words only this one has as they are, and those only the earlier one has as "[without: …]".
 */
function withoutShared(words: string[], earlier: string[], index: number): Part[] {
  const pairs = commonPairs(words, earlier);
  const parts: Part[] = [];
  let i = 0;
  let j = 0;
  const gap = (toI: number, toJ: number): void => {
    parts.push(...words.slice(i, toI));
    if (toJ > j) parts.push({ without: earlier.slice(j, toJ).join(" ") });
    i = toI;
    j = toJ;
  };
  for (let k = 0; k < pairs.length;) {
    const [startI, startJ] = pairs[k]!;
    gap(startI, startJ);
    let end = k;
    while (
      end + 1 < pairs.length &&
      pairs[end + 1]![0] === pairs[end]![0] + 1 &&
      pairs[end + 1]![1] === pairs[end]![1] + 1
    )
      end++;
    const run = words.slice(startI, pairs[end]![0] + 1);
    if (run.join(" ").length >= MIN_SHARED_CHARS) parts.push({ shared: index });
    else parts.push(...run);
    i = pairs[end]![0] + 1;
    j = pairs[end]![1] + 1;
    k = end + 1;
  }
  gap(words.length, earlier.length);
  return parts;
}

/** The index pairs (in a, in b) of a longest common subsequence of `a` and `b`, word by word. */
function commonPairs(a: string[], b: string[]): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: the longest common subsequence of a[i..] and b[j..]
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
  const pairs: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < n && j < m;) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) i++;
    else j++;
  }
  return pairs;
}

/** Five or more --exclude options in a row (a copy's 50-odd): "--exclude=… (N paths…)". */
function shortenExcludes(text: string, excludesAt: (count: number) => string): string {
  return text.replace(/(?: --exclude=(?:'[^']*'|\S+)){5,}/g, (run) => {
    const count = run.split(" --exclude=").length - 1;
    return ` --exclude=… (${count} paths${excludesAt(count)})`;
  });
}
