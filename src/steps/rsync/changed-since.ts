import { cmd, sh } from "../../hosts/quote.js";
import { MIGRATION_DIR } from "./excludes.js";

/**
 * The shortest freeze: what changed on the source since a moment is what its inodes' ctime says (the
 * kernel sets it on every write, chmod, chown, xattr change, link and rename; unlike mtime, no call sets it
 * back, though a clock set back would: the proof after the thaw is there for that).
 * A live pass marks its start; the frozen pass then copies only what changed since the last completed one.
 */

/** mtime = when the last completed live pass began (minus LIVE_MARK_MARGIN). */
export const LIVE_PASS_MARK = `${MIGRATION_DIR}/live-pass.start`;
/** Made before each live pass; becomes LIVE_PASS_MARK only once that pass completed. */
export const PENDING_PASS_MARK = `${MIGRATION_DIR}/live-pass.pending`;
/** mtime = when the frozen pass began listing what changed, on the source's clock. */
export const FREEZE_MARK = `${MIGRATION_DIR}/freeze.start`;
/** NUL-separated paths (relative to /) the frozen pass copies. */
export const CHANGED_LIST = `${MIGRATION_DIR}/changed.list`;
/** NUL-separated paths the repair after the proof copies. */
export const REPAIR_LIST = `${MIGRATION_DIR}/repair.list`;

/**
 * A live pass's mark is set this far back: the kernel stamps ctime from a clock that ticks in jiffies, so a
 * file written just after `touch` may carry a ctime a few milliseconds before the mark's. Too early only
 * lists more. The freeze marks are exact: a change they date "after the freeze" is excused by the proof,
 * and a change stamped at the mark itself counts as before it.
 */
const LIVE_MARK_MARGIN = "2 seconds ago";

/** Sets the mark's mtime: now, or LIVE_MARK_MARGIN back for a live pass's start (PENDING_PASS_MARK). */
export function markCommand(mark: string): string {
  const touch =
    mark === PENDING_PASS_MARK ? cmd("touch", "-d", LIVE_MARK_MARGIN, "--", mark) : cmd("touch", "--", mark);
  return `${cmd("mkdir", "-p", "--", dirOf(mark))} && ${touch}`;
}

const promoteMarkCommand = (): string => cmd("mv", "-f", "--", PENDING_PASS_MARK, LIVE_PASS_MARK);

/**
 * A live pass that marks its start: PENDING_PASS_MARK before it, which becomes LIVE_PASS_MARK only when the
 * pass completes (exit 0, or 24: files vanished on a running system). One command, so a pass and its marks
 * are one line of the gate and one step of the journal. The pass runs in a subshell (it ends in `exec rsync`).
 */
export function withLiveMark(pass: string): string {
  return `${markCommand(PENDING_PASS_MARK)} && { ( ${pass} ); rc=$?; if test "$rc" -eq 0 -o "$rc" -eq 24; then ${promoteMarkCommand()}; fi; exit "$rc"; }`;
}

/**
 * Lists into `list` every path of the source's root filesystem whose ctime is newer than `since`, and every
 * path inside the `whole` directories whatever its ctime (the databases': so one rsync of the list copies
 * them whole too, and the freeze pays for no second rsync): directories with a trailing slash (rsync then
 * brings their entries and deletes those gone). -xdev: other filesystems are excludes of the copy anyway;
 * -ignore_readdir_race: a file removed during the scan is not an error. Prints how many.
 */
export function changedListCommand(since: string, whole: string[] = [], root = "/", list = CHANGED_LIST): string {
  const inWhole = whole.flatMap((dir) => ["-path", normalise(dir), "-o", "-path", `${normalise(dir)}/*`, "-o"]);
  return sh`cd ${root} && find . -xdev -ignore_readdir_race \\( ${inWhole} -cnewer ${since} \\) \\( -type d -printf '%p/\\0' -o -print0 \\) > ${list} && tr -cd '\\0' < ${list} | wc -c`;
}

/**
 * For each NUL-separated path on stdin (as `normalise` writes them), prints `new <path>` or `old <path>`
 * (NUL-terminated): whether its ctime is newer than `mark`. A path that no longer exists prints nothing.
 * Exits non-zero only when the mark itself is missing (find fails for each path that vanished).
 */
export const ctimeQuestionCommand = (mark: string, root = "/"): string =>
  sh`cd ${root} && xargs -0 -r sh -c 'exec find "$@" -maxdepth 0 \\( -cnewer "$0" -printf "new %p\\0" -o -printf "old %p\\0" \\)' ${mark}; test -e ${mark}`;

/** The stdin of ctimeQuestionCommand. */
export const ctimeQuestions = (paths: Iterable<string>): string => [...new Set(paths)].map((p) => `${p}\0`).join("");

export function parseCtimeAnswers(stdout: string): Map<string, "new" | "old"> {
  const answers = new Map<string, "new" | "old">();
  for (const entry of stdout.split("\0")) {
    const match = /^(new|old) (.+)$/s.exec(entry);
    if (match) answers.set(normalise(match[2]!), match[1] as "new" | "old");
  }
  return answers;
}

/** One difference a `--out-format=%i %n` dry run printed. */
export interface Difference {
  path: string;
  /** The target has it and the source does not. */
  deletion: boolean;
}

/**
 * Parses rsync's `%i %n` lines: an 11-character change code or `*deleting`, a space, the name relative to
 * the transfer root (a directory with a trailing slash; unprintable bytes as \#ooo).
 */
export function parseDifferences(lines: string[]): Difference[] {
  const out: Difference[] = [];
  for (const line of lines) {
    if (line.startsWith("*deleting ")) out.push({ path: unescape(line.slice(10).trimStart()), deletion: true });
    else if (/^[<>ch.][fdLDS][^ ]{9} ./.test(line)) out.push({ path: unescape(line.slice(12)), deletion: false });
  }
  return out;
}

/**
 * The differences a full comparison found after the thaw, split by what the source's ctime says: changed
 * since the freeze (the source went on running: nothing to do), or not (the source's file is as it was
 * frozen, yet the target differs: the short pass missed it, or the target itself changed it since the last
 * live pass). Those are copied again after the thaw, which is as good as in the freeze since the source's
 * copy has not changed, except inside the database directories, which only a freeze may copy.
 */
export function classifyDifferences(
  differences: Difference[],
  source: Map<string, "new" | "old">,
  databaseDirs: string[],
): { sinceFreeze: Difference[]; stale: Difference[]; staleInDatabases: Difference[] } {
  const out = { sinceFreeze: [] as Difference[], stale: [] as Difference[], staleInDatabases: [] as Difference[] };
  const dbs = databaseDirs.map(normalise);
  for (const d of differences) {
    const answer = source.get(sourceQuestion(d));
    // Gone from the source since the comparison listed it: changed after the freeze.
    if (answer === "new" || (answer === undefined && !d.deletion)) out.sinceFreeze.push(d);
    else if (dbs.some((db) => normalise(d.path) === db || normalise(d.path).startsWith(`${db}/`)))
      out.staleInDatabases.push(d);
    else out.stale.push(d);
  }
  return out;
}

/**
 * What the repair copies for each stale difference (as --files-from entries): the path itself, or for one
 * the source no longer has, the directory that held it with a trailing slash (rsync then deletes it there).
 */
export function repairEntries(stale: Difference[]): string {
  const entries = stale.map((d) => (d.deletion ? `${sourceQuestion(d)}/` : normalise(d.path)));
  return [...new Set(entries)].map((e) => `${e}\0`).join("");
}

/** The path whose ctime on the source explains a difference: the directory that held a deleted one. */
export const sourceQuestion = (d: Difference): string => (d.deletion ? parentOf(d.path) : normalise(d.path));

/** A path as find prints it below `cd /`: "./etc/x" (never a leading "-", which find would read as an option). */
export function normalise(path: string): string {
  const bare = path
    .replace(/^(\.\/)+/, "")
    .replace(/^\/+/, "")
    .replace(/\/+$/, "");
  return bare === "" || bare === "." ? "." : `./${bare}`;
}

function parentOf(path: string): string {
  const bare = normalise(path).slice(2);
  const at = bare.lastIndexOf("/");
  return at <= 0 ? "." : `./${bare.slice(0, at)}`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** rsync prints a byte it will not show as \#ooo (octal). */
function unescape(name: string): string {
  return name.replace(/\\#([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
