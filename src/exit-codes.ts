import type { RunStatus } from "./engine/events.js";
import {
  BadInputError,
  BlockedError,
  BusyError,
  InterruptedError,
  StateDirWriteError,
  StepFailedError,
  forTerminal,
} from "./errors.js";

/** The one place where outcomes become exit codes (documented in README.md). */
export const EXIT = {
  done: 0,
  stepFailed: 1,
  badInput: 2,
  blocked: 3,
  busy: 75,
  sigint: 130,
  sigterm: 143,
  internal: 70,
} as const;

/** How a pipeline run ended, as the runner reports it: the status, and the signal when interrupted. */
export interface RunEnd {
  status: RunStatus;
  signal?: "SIGINT" | "SIGTERM";
}

export function exitCodeForRun(end: RunEnd): number {
  switch (end.status) {
    case "done":
    case "dry-run":
      return EXIT.done;
    case "blocked":
      return EXIT.blocked;
    case "interrupted":
      return end.signal === "SIGTERM" ? EXIT.sigterm : EXIT.sigint;
    case "failed":
    case "declined":
      return EXIT.stepFailed;
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof BadInputError) return EXIT.badInput;
  if (error instanceof BusyError) return EXIT.busy;
  if (error instanceof BlockedError) return EXIT.blocked;
  if (error instanceof StepFailedError || error instanceof StateDirWriteError) return EXIT.stepFailed;
  if (error instanceof InterruptedError) return error.signal === "SIGTERM" ? EXIT.sigterm : EXIT.sigint;
  return EXIT.internal;
}

/** What to print for a top-level error: known kinds are already explained, anything else is our bug. */
export function describeTopLevelError(error: unknown, { debug = false } = {}): string {
  if (
    error instanceof BadInputError ||
    error instanceof BlockedError ||
    error instanceof StepFailedError ||
    error instanceof StateDirWriteError ||
    error instanceof InterruptedError
  ) {
    return `mudanza: ${forTerminal(error.message)}${debug ? `\n${forTerminal(stackChain(error))}` : ""}`;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `mudanza: internal error (this is a bug; please report it with the output below and the journal, which holds no secrets)\n${forTerminal(stack)}`;
}

/** --debug: the stack of an error and of each cause behind it. */
export function stackChain(error: unknown): string {
  const out: string[] = [];
  for (
    let e: unknown = error, depth = 0;
    e !== undefined && depth < 5;
    e = e instanceof Error ? e.cause : undefined, depth++
  ) {
    out.push(`${depth > 0 ? "caused by: " : ""}${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return out.join("\n");
}
