/**
 * The three kinds of top-level failure (plus interruption). Library code throws these; only
 * src/exit-codes.ts turns them into exit codes.
 */

/** Bad input, already explained to the user (exit 2). */
export class BadInputError extends Error {
  override name = "BadInputError";
}

/** A probe found something that must be fixed first (exit 3). */
export class BlockedError extends Error {
  override name = "BlockedError";
}

/**
 * Another mudanza run holds what this one needs (its journal, the hosts, the disk): nothing changed, and the
 * same command succeeds once that run ends. Exit 75 (EX_TEMPFAIL), so cron and CI can retry it without
 * reading the message, where a blocker (exit 3) needs a human (new-user trial 11).
 */
export class BusyError extends BlockedError {
  override name = "BusyError";
}

/** A step failed while running or verifying (exit 1). */
export class StepFailedError extends Error {
  override name = "StepFailedError";
  constructor(
    readonly stepId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A step's failure that resuming would only repeat: what it found stays as it is (a disk written since it
 * was read), so the end of the run says to start over (--restart), not to resume. The runner reads it.
 */
export class ResumeRepeatsFailureError extends Error {
  override name = "ResumeRepeatsFailureError";
}

/**
 * The journal of a run under way could not be written in the state dir (full, read-only): the run stops there
 * as at a failed step (exit 1), its compensations run, and the journal keeps what it saved before.
 */
export class StateDirWriteError extends Error {
  override name = "StateDirWriteError";
}

/**
 * SIGINT / SIGTERM arrived (exit 130 / 143), or the admin stopped the run from the TUI (`key`: q or Ctrl-C,
 * which the TUI reads as keys, so no signal is sent; it counts as SIGINT).
 */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(
    readonly signal: "SIGINT" | "SIGTERM",
    key?: string,
  ) {
    super(key ? `stopped with ${key}` : `interrupted by ${signal}`);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_BUT_TAB_AND_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from input (a plan, a file name) made safe to print: control characters, which could move the
 * cursor or retitle the terminal, are shown as \x1b-style escapes. Newlines and tabs stay (a message may have
 * several lines): a name inside one goes through nameForTerminal.
 */
export function forTerminal(text: string): string {
  return text.replace(CONTROL_BUT_TAB_AND_NEWLINE, hexEscape);
}

const hexEscape = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const EVERY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A name from input (a file name, a --name) inside a message: every control character escaped as forTerminal
 * does, newline and tab too, so a name holding one neither splits the message nor hides what it holds.
 */
export function nameForTerminal(name: string): string {
  return name.replace(EVERY_CONTROL, hexEscape);
}

/**
 * What a file operation's error code means, the words first and the code after them for searching: "no such
 * file or folder (ENOENT)". (New-user trial 7 found the code noise; a sysadmin searching for it finds it, and
 * the words come first, so it stays at the end.)
 */
export function fileErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const meaning = code ? FILE_ERRORS[code] : undefined;
  if (meaning) return `${meaning} (${code})`;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * A file this user may not read (EACCES, EPERM), with what to do about it: the same words for a plan, a disk
 * and a container's configuration (new-user trial 10: only --openvz-conf said what to do).
 */
export function unreadableText(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== "EACCES" && code !== "EPERM") return undefined;
  return `this user cannot read it (permission denied): run mudanza as a user who can, or give this user read access to it; ls -l shows its owner and mode (${code})`;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EISDIR: "it is a folder",
  ENOTDIR: "a part of the path is not a folder",
  ELOOP: "too many symbolic links",
  EROFS: "read-only filesystem",
  ENOSPC: "no space left on the device",
};
