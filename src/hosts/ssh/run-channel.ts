import { StringDecoder } from "node:string_decoder";
import type { Client, ClientChannel } from "ssh2";
import type { ExecOptions, ExecResult } from "../host.js";
import { LineSplitter } from "../lines.js";

/** After TERM, how long a command gets to exit before KILL and closing the channel. */
const KILL_GRACE_MS = 2_000;

/**
 * Runs one command on its own session channel: streams stdout/stderr lines, feeds stdin, and on timeout or
 * abort sends TERM then KILL (OpenSSH >= 7.9 honours signal requests) and closes the channel, so the call
 * always returns. Like LocalHost, only the command's own process is signalled, not its children.
 */
export function runOnChannel(client: Client, command: string, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ code: -1, stdout: "", stderr: "", aborted: true });
      return;
    }
    client.exec(command, (error, channel) => {
      if (error) {
        reject(error);
        return;
      }
      collect(channel, options, resolve, reject);
    });
  });
}

function collect(channel: ClientChannel, options: ExecOptions, resolve: (result: ExecResult) => void, reject: (error: Error) => void): void {
  const stdout = new Capture(options.onStdout);
  const stderr = new Capture(options.onStderr);
  channel.on("data", (chunk: Buffer) => stdout.push(chunk));
  channel.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));

  let exitCode: number | null = null;
  let exited = false;
  let stoppedBy: "timeout" | "abort" | null = null;
  const timers: NodeJS.Timeout[] = [];
  channel.on("exit", (code: number | null) => {
    exited = true;
    exitCode = typeof code === "number" ? code : null; // null: killed by a signal (exit-signal)
  });

  const stop = (why: "timeout" | "abort"): void => {
    if (stoppedBy) return;
    stoppedBy = why;
    signalChannel(channel, "TERM");
    timers.push(
      setTimeout(() => {
        signalChannel(channel, "KILL");
        channel.close();
      }, KILL_GRACE_MS),
    );
  };
  if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop("timeout"), options.timeoutMs));
  const onAbort = (): void => stop("abort");
  options.signal?.addEventListener("abort", onAbort, { once: true });

  channel.on("close", () => {
    for (const timer of timers) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    const out = stdout.finish();
    const err = stderr.finish();
    if (!exited && !stoppedBy) {
      // No exit status and we did not stop it: the connection went away under the command.
      reject(new ChannelLostError(out, err));
      return;
    }
    // Killed or cut off: no exit status, or one caused by our own signal.
    const code = stoppedBy || exitCode === null ? -1 : exitCode;
    resolve({ code, stdout: out, stderr: err, timedOut: stoppedBy === "timeout" || undefined, aborted: stoppedBy === "abort" || undefined });
  });

  // stdin: send it and close, or close at once so a command reading stdin sees EOF instead of hanging.
  if (options.stdin !== undefined) channel.end(options.stdin);
  else channel.end();
}

function signalChannel(channel: ClientChannel, name: "TERM" | "KILL"): void {
  try {
    channel.signal(name);
  } catch {
    // channel already closing
  }
}

/** UTF-8 decoding that survives multi-byte characters split across packets, plus the line callback. */
class Capture {
  private readonly decoder = new StringDecoder("utf8");
  private readonly lines: LineSplitter | null;
  private text = "";
  constructor(onLine: ((line: string) => void) | undefined) {
    this.lines = onLine ? new LineSplitter(onLine) : null;
  }
  push(chunk: Buffer): void {
    const piece = this.decoder.write(chunk);
    this.text += piece;
    this.lines?.push(piece);
  }
  finish(): string {
    const rest = this.decoder.end();
    this.text += rest;
    this.lines?.push(rest);
    this.lines?.end();
    return this.text;
  }
}

/** The channel closed without an exit status: the command's fate on the host is unknown. */
export class ChannelLostError extends Error {
  override name = "ChannelLostError";
  constructor(readonly stdout: string, readonly stderr: string) {
    super("the ssh connection closed before the command reported an exit status");
  }
}
