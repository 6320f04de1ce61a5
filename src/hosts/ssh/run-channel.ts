import type { Client, ClientChannel } from "ssh2";
import { stdinText, type ExecOptions, type ExecResult } from "../host.js";
import { DecodedOutput } from "../lines.js";
import { SilenceWatchdog } from "../watchdog.js";

/** After TERM, how long a command gets to exit before KILL and closing the channel. */
const KILL_GRACE_MS = 2_000;

/** Kills the command's processes on the host (see ssh-host.ts: by a tag in their environment). */
export type Stopper = (signal: "TERM" | "KILL") => void;

/**
 * Runs one command on its own session channel: streams stdout/stderr lines, feeds stdin, and on timeout or
 * abort sends TERM then KILL and closes the channel, so the call always returns. The signals go both as
 * ssh "signal" requests and through `stop`: OpenSSH ignores signal requests on root logins ("session
 * signalling requires privilege separation"), which is how mudanza usually logs in.
 */
export async function runOnChannel(
  client: Client,
  command: string,
  options: ExecOptions,
  stop?: Stopper,
): Promise<ExecResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runOnce(client, command, options, stop);
    } catch (error) {
      // sshd frees a session only after its own side of the close: a new channel opened right after
      // several commands ended together can be refused for a moment. The command never started, so
      // opening again is safe; a lasting refusal still fails after about 6 s.
      if (!isOpenRefusal(error) || attempt >= OPEN_RETRIES.length) throw error;
      await new Promise((r) => setTimeout(r, OPEN_RETRIES[attempt]));
    }
  }
}

const OPEN_RETRIES = [50, 100, 200, 400, 800, 1600, 3000];
const isOpenRefusal = (error: unknown): boolean =>
  error instanceof Error && /Channel open failure/i.test(error.message);

function runOnce(client: Client, command: string, options: ExecOptions, stop?: Stopper): Promise<ExecResult> {
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
      collect(channel, options, resolve, reject, stop);
    });
  });
}

function collect(
  channel: ClientChannel,
  options: ExecOptions,
  resolve: (result: ExecResult) => void,
  reject: (error: Error) => void,
  stopper?: Stopper,
): void {
  const stdout = new DecodedOutput(options.onStdout, options.stdoutTailChars, options.onStdoutText);
  const stderr = new DecodedOutput(options.onStderr);
  let silentMs: number | undefined;
  const watchdog = new SilenceWatchdog(
    options.silenceTimeoutMs,
    (ms) => {
      silentMs = ms;
      stop("silence");
    },
    options.stillBusy,
  );
  channel.on("data", (chunk: Buffer) => {
    watchdog.heard();
    stdout.push(chunk);
  });
  channel.stderr.on("data", (chunk: Buffer) => {
    watchdog.heard();
    stderr.push(chunk);
  });

  let exitCode: number | null = null;
  let exited = false;
  let stoppedBy: "timeout" | "abort" | "silence" | null = null;
  const timers: NodeJS.Timeout[] = [];
  channel.on("exit", (code: number | null) => {
    exited = true;
    exitCode = typeof code === "number" ? code : null; // null: killed by a signal (exit-signal)
  });

  const stop = (why: "timeout" | "abort" | "silence"): void => {
    if (stoppedBy) return;
    stoppedBy = why;
    signalChannel(channel, "TERM");
    stopper?.("TERM");
    timers.push(
      setTimeout(() => {
        signalChannel(channel, "KILL");
        stopper?.("KILL");
        channel.close();
      }, KILL_GRACE_MS),
      // Children of the command may still hold its output open: stop waiting for sshd's close then.
      setTimeout(() => finish(), 2 * KILL_GRACE_MS),
    );
  };
  if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop("timeout"), options.timeoutMs));
  const onAbort = (): void => stop("abort");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // An abort while the channel was opening fired before this listener existed: the command runs now, stop it.
  if (options.signal?.aborted) stop("abort");

  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    watchdog.stop();
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
    resolve({
      code,
      stdout: out,
      stderr: err,
      timedOut: stoppedBy === "timeout" || undefined,
      aborted: stoppedBy === "abort" || undefined,
      silentMs: stoppedBy === "silence" ? silentMs : undefined,
    });
  };
  channel.on("close", finish);

  // stdin: send it and close, or close at once so a command reading stdin sees EOF instead of hanging.
  if (options.stdin === undefined) channel.end();
  else
    void stdinText(options.stdin).then((text) => {
      if (!finished) channel.end(text);
    });
}

/**
 * ssh2's channel.signal() does nothing once our side of the channel is ended, which is always the case here
 * (stdin is closed right after the exec so commands see EOF). The signal request itself is valid on such a
 * channel, so send it through the protocol object underneath (ssh2 1.x internals, checked by the sshd test).
 */
function signalChannel(channel: ClientChannel, name: "TERM" | "KILL"): void {
  const internals = channel as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, signal: string): void } };
  };
  try {
    const state = internals.outgoing?.state;
    if ((state === "open" || state === "eof") && internals._client?._protocol)
      internals._client._protocol.signal(internals.outgoing!.id, name);
    else channel.signal(name);
  } catch {
    // channel already closing
  }
}

/** The channel closed without an exit status: the command's fate on the host is unknown. */
export class ChannelLostError extends Error {
  override name = "ChannelLostError";
  constructor(
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super("the ssh connection closed before the command reported an exit status");
  }
}
