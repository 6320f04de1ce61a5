import { redactSecrets } from "../journal/secrets.js";

/**
 * MUDANZA_TRACE=1: where a run's time goes, on stderr, each line stamped with the milliseconds since the
 * process started: each ssh connection's handshake (what it negotiated), each session's round trip, and in a
 * dry run's batches each command's own time on the host. Command lines are cut short and go through
 * redactSecrets; no output, stdin or file content is ever written.
 */
export function timingTraceOn(): boolean {
  return process.env.MUDANZA_TRACE === "1";
}

export function traceTiming(text: string): void {
  if (!timingTraceOn()) return;
  process.stderr.write(`trace ${performance.now().toFixed(0).padStart(6)} ms ${text}\n`);
}

const SHOWN_CHARS = 100;

/** A command as a trace line shows it: one line, secrets redacted, at most SHOWN_CHARS characters. */
export function traceCommand(command: string): string {
  const line = redactSecrets(command).replace(/\s+/g, " ").trim();
  return line.length > SHOWN_CHARS ? `${line.slice(0, SHOWN_CHARS - 1)}…` : line;
}
