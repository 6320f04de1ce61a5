import { BlockedError, InterruptedError, errorMessage } from "../errors.js";
import { eventLine } from "../engine/event-wire.js";

/**
 * `--json` promises events only on stdout, ending with one pipeline-end: a command that fails before its
 * renderer wrote that end (a plan that cannot be read, a state dir refused) still writes one, so a script
 * reading the events learns why, not only from the exit code (found in review).
 */
let eventsAsked = false;
let endWritten = false;

/** Called at the start of every CLI invocation (the tests run several in one process). */
export function resetEndEvent(): void {
  eventsAsked = false;
  endWritten = false;
}

/** The command about to run was given --json (NDJSON events on stdout). */
export function noteEventsAsked(): void {
  eventsAsked = true;
}

/** The NDJSON renderer wrote a pipeline-end. */
export function noteEndWritten(): void {
  endWritten = true;
}

/** How a run that ended before it began ended: blocked, interrupted (Ctrl-C while connecting) or failed. */
export function endStatusOf(error: unknown): {
  status: "blocked" | "interrupted" | "failed";
  signal?: "SIGINT" | "SIGTERM";
} {
  if (error instanceof BlockedError) return { status: "blocked" };
  if (error instanceof InterruptedError) return { status: "interrupted", signal: error.signal };
  return { status: "failed" };
}

/** The pipeline-end line owed for `error`, when events were asked for and none ended them yet. */
export function owedEndLine(error: unknown, exitCode: number): string | undefined {
  if (!eventsAsked || endWritten) return undefined;
  endWritten = true;
  return eventLine({
    type: "pipeline-end",
    at: new Date().toISOString(),
    ...endStatusOf(error),
    message: errorMessage(error),
    exitCode,
  });
}
