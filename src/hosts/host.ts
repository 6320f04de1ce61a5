import { formatSilence } from "./watchdog.js";

/** The one seam between steps and machines: ssh2, a local shell and scripted fakes all implement it. */

export interface ExecOptions {
  /** Kill the command after this long; the result then has timedOut set. */
  timeoutMs?: number;
  /** Called once per complete stdout / stderr line while the command runs (carriage returns split too). */
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /**
   * Called with stdout's text as it arrives, decoded but cut anywhere (mid-line included), for a reader that
   * does its own splitting: rsync's progress prints a record per file, and splitting each into a line
   * costs more than the copy's own work per file (src/steps/rsync/stdout-reader.ts).
   */
  onStdoutText?: (text: string) => void;
  /**
   * Read stdout at most once every this many ms (LocalHost; elsewhere stdout is read as it comes): output
   * written meanwhile arrives as one chunk, at most this late. For a command that flushes many small writes,
   * such as rsync's progress record per file, which would otherwise wake this process once per write.
   */
  stdoutBatchMs?: number;
  /**
   * Keep only about this many characters at the end of stdout in the result (from a line start); the
   * onStdout callback still sees every line. For commands that print without end (rsync's progress over a
   * million files) whose result needs only the last lines: the CLI's memory then does not grow with them.
   */
  stdoutTailChars?: number;
  /**
   * Sent to the command's stdin, then stdin is closed. A promise keeps stdin open until it settles (a
   * rejection closes it empty): for a command started before its input is known, such as the freeze's rsync,
   * connected before the stop and given its list of paths after it.
   */
  stdin?: string | Promise<string>;
  /** Aborting kills the command (renderers and signals use this to stop a step cleanly). */
  signal?: AbortSignal;
  /**
   * Watchdog: stop the command when it printed nothing (stdout or stderr) for this long, a hung tool's
   * only outward sign. The result then has `silentMs` set. Give it to every command that may run long.
   */
  silenceTimeoutMs?: number;
  /** Asked when the silence window ends: true (e.g. the file the command writes grew) starts a new window. */
  stillBusy?: () => Promise<boolean>;
}

export interface ExecResult {
  /** Exit code; -1 when the command was killed or timed out. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
  aborted?: boolean;
  /** Set when the silence watchdog stopped the command: how long it had printed nothing. */
  silentMs?: number;
}

export interface FileStat {
  type: "file" | "dir" | "symlink" | "other";
  mode: number;
  size: number;
  uid: number;
  gid: number;
  linkTarget?: string;
}

export interface WriteOptions {
  mode?: number;
}

export interface ReconnectOptions {
  /** From now on accept only these host key fingerprints (SHA256:...), e.g. the source's keys after the copy. */
  acceptHostKeys?: string[];
  /** Give up one attempt after this long. */
  timeoutMs?: number;
}

export interface Host {
  /** Role in the plan ("source", "target", ...) used in events and reports. */
  readonly role: string;
  /** Where it is, for humans: "root@old.example.org:22", "local", "scripted:fixtures/hosts/x". */
  readonly address: string;
  /** SHA256 fingerprint of the host key verified on the current connection (ssh hosts only), to record it. */
  readonly hostKeyFingerprint?: string;
  /** Runs a shell command line. Build it with `cmd`/`sh` from quote.ts: never concatenate raw values. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Reads a whole file as UTF-8; throws FileNotFoundError when it does not exist. */
  readFile(path: string): Promise<string>;
  writeFile(path: string, content: string, options?: WriteOptions): Promise<void>;
  /** lstat semantics; null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Drops the connection and connects again (one attempt; callers add backoff). No-op for local hosts. */
  reconnect(options?: ReconnectOptions): Promise<void>;
  close(): Promise<void>;
}

export class FileNotFoundError extends Error {
  constructor(
    readonly path: string,
    readonly hostAddress: string,
  ) {
    super(`${path}: no such file on ${hostAddress}`);
    this.name = "FileNotFoundError";
  }
}

/** Reads a file, or returns null when it is absent (other errors still throw). */
export async function readOptional(host: Host, path: string): Promise<string | null> {
  try {
    return await host.readFile(path);
  } catch (error) {
    if (error instanceof FileNotFoundError) return null;
    throw error;
  }
}

/** Runs a command and throws CommandFailedError on a non-zero exit. */
export async function execOk(host: Host, command: string, options?: ExecOptions): Promise<ExecResult> {
  const result = await host.exec(command, options);
  if (result.code !== 0) throw new CommandFailedError(host, command, result);
  return result;
}

export class CommandFailedError extends Error {
  constructor(
    readonly host: Host,
    readonly command: string,
    readonly result: ExecResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join("\n");
    const why =
      result.silentMs !== undefined
        ? `printed nothing for ${formatSilence(result.silentMs)} and was stopped (silence watchdog)`
        : result.timedOut
          ? "timed out"
          : result.aborted
            ? "was interrupted"
            : `exited ${result.code}`;
    super(`on ${host.role} (${host.address}): \`${command}\` ${why}${tail ? `:\n${tail}` : ""}`);
    this.name = "CommandFailedError";
  }
}

/** The text of an exec's stdin once known: a rejected promise gives an empty stdin (the command reads EOF). */
export function stdinText(stdin: string | Promise<string>): Promise<string> {
  return Promise.resolve(stdin).then(
    (text) => text,
    () => "",
  );
}
