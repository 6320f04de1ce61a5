import { fstatSync } from "node:fs";
import type { EventOf } from "../engine/events.js";
import { forTerminal } from "../errors.js";
import { exitCodeForRun } from "../exit-codes.js";
import { runAgainAdvice, runAgainLine } from "../render/run-again-advice.js";

/**
 * The end of a `--yes` run that did not finish, for stderr: its faces (listr2 lines, NDJSON) write on stdout,
 * and cron mails stderr while stdout goes to a log, so a failed unattended run said nothing where anyone
 * looks (new-user trial 11). A finished run says nothing here.
 */
export function endLinesForStderr(end: EventOf<"pipeline-end">): string[] {
  if (end.status === "done" || end.status === "dry-run") return [];
  const advice = runAgainLine(runAgainAdvice(end));
  return [
    `mudanza: the run ${end.status === "failed" ? "failed" : `was ${end.status}`} (exit ${exitCodeForRun(end)})${end.message ? `: ${end.message}` : ""}`,
    ...(advice ? [`mudanza: ${advice}`] : []),
    ...(end.log ? [`mudanza: its log: ${end.log}`] : []),
  ].map(forTerminal);
}

/** stderr is the very file stdout is (`> log 2>&1`, one terminal): the end is there already, once is enough. */
export function stderrIsStdout(): boolean {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.dev === err.dev && out.ino === err.ino && out.rdev === err.rdev;
  } catch {
    return false;
  }
}
