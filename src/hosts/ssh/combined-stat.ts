import type { ExecResult } from "../host.js";
import { sh } from "../quote.js";

/**
 * Several stats of one dry-run batch as one command: one `stat` for every present path and one `readlink -z`
 * for every symlink, where statCommand runs a stat (and a readlink) per path. On the lab's TCG VM each
 * program start costs 50-120 ms, and the copy's probe stats /bin, /sbin, /lib and /lib64 (symlinks on a
 * merged-/usr system: eight programs) on both hosts at once.
 * First line: a letter per path (l symlink, y present, n absent), then stat's lines for the present ones,
 * then the symlinks' targets, each ended by a NUL (a target may hold a newline).
 * Any doubt (an older readlink without -z, a path that changed between the shell's test and stat) and
 * splitCombinedStat answers undefined: the caller then runs statCommand for each path.
 */
export function combinedStatCommand(paths: string[]): string {
  return (
    sh`f=; set --; for p in ${paths}; do if test -L "$p"; then f="\${f}l"; set -- "$@" "$p"; ` +
    sh`elif test -e "$p"; then f="\${f}y"; set -- "$@" "$p"; else f="\${f}n"; fi; done; printf '%s\n' "$f"; ` +
    sh`if test $# -gt 0; then stat -c '%f %s %u %g' -- "$@" || exit 1; fi; ` +
    sh`set --; for p in ${paths}; do if test -L "$p"; then set -- "$@" "$p"; fi; done; ` +
    sh`if test $# -gt 0; then readlink -z -- "$@" || exit 1; fi`
  );
}

const SYMLINK_MODE = /^a[0-9a-f]{3}$/;

/** What statCommand would have printed for each path, in order; undefined when the answer is not whole. */
export function splitCombinedStat(result: ExecResult, count: number): string[] | undefined {
  if (result.code !== 0 || result.timedOut || result.aborted) return undefined;
  const out = result.stdout;
  const flagsEnd = out.indexOf("\n");
  const flags = out.slice(0, flagsEnd);
  if (flagsEnd === -1 || !new RegExp(`^[lyn]{${count}}$`).test(flags)) return undefined;
  const present = [...flags].filter((flag) => flag !== "n").length;
  const lines = out.slice(flagsEnd + 1).split("\n");
  const statLines = lines.slice(0, present);
  // what follows the stat lines: the NUL-ended targets, in the order of the symlinks
  const targets = lines.slice(present).join("\n").split("\0");
  const symlinks = [...flags].filter((flag) => flag === "l").length;
  if (statLines.length !== present || targets.length !== symlinks + 1 || targets.at(-1) !== "") return undefined;
  const answers: string[] = [];
  let nextLine = 0;
  let nextTarget = 0;
  for (const flag of flags) {
    if (flag === "n") {
      answers.push("absent\n");
      continue;
    }
    const line = statLines[nextLine++]!;
    const [mode] = line.split(" ");
    if (!/^[0-9a-f]+ \d+ \d+ \d+$/.test(line) || SYMLINK_MODE.test(mode!) !== (flag === "l")) return undefined;
    answers.push(flag === "l" ? `${line}\n${targets[nextTarget++]}\n` : `${line}\n`);
  }
  return answers;
}
