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
 * cursor or retitle the terminal, are shown as \x1b-style escapes. Newlines and tabs stay.
 */
export function forTerminal(text: string): string {
  return text.replace(CONTROL_BUT_TAB_AND_NEWLINE, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
