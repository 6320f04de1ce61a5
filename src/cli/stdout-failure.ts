/**
 * A write to stdout that failed while its reader was still there: a full disk (`--json > /var/log/x` in
 * cron), an I/O error. Unlike a reader gone away (EPIPE), the output was wanted and is lost, so the command
 * says so once on stderr and ends with exit 1 if it would have ended with 0, as coreutils do. A run goes on to
 * its end meanwhile, as it does for a closed pipe: its log in the state dir keeps every event.
 */
let failure: string | undefined;

/** Records the first failure and says it on stderr; later ones add nothing. */
export function stdoutWriteFailed(error: NodeJS.ErrnoException): void {
  if (failure !== undefined) return;
  failure = error.code ?? error.message;
  // A stream's error can come after the command set its exit code (the write was its last act).
  if (!process.exitCode) process.exitCode = 1;
  const cause = error.code ? `${error.code}: ${describeCode(error)}` : error.message;
  process.stderr.write(
    `mudanza: cannot write to stdout (${cause}): the rest of the output is not written there; ` +
      "a run goes on (its log in the state dir keeps every event), and a command that would end with 0 ends with 1\n",
  );
}

/** The exit code to end with: `code`, or 1 where stdout lost output of a command that would end with 0. */
export const exitCodeAfterStdout = (code: number): number => (code === 0 && failure !== undefined ? 1 : code);

/** "no space left on device" from node's "ENOSPC: no space left on device, write". */
function describeCode(error: NodeJS.ErrnoException): string {
  const words = /^[A-Z0-9_]+: ([^,]+)/.exec(error.message)?.[1];
  return words ?? error.message;
}
