import {
  stdinText,
  FileNotFoundError,
  type ReconnectOptions,
  type ExecOptions,
  type ExecResult,
  type FileStat,
  type Host,
  type WriteOptions,
} from "./host.js";
import { tailFrom } from "./lines.js";

export interface ScriptedReply {
  code?: number;
  stdout?: string;
  stderr?: string;
}

/** The options a handler sees: stdin as text, given when it was known (a real command reads it then too). */
export type ScriptedExecOptions = Omit<ExecOptions, "stdin"> & { stdin?: string };

export type ScriptedHandler = (
  command: string,
  host: ScriptedHost,
  options?: ScriptedExecOptions,
) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedRule {
  match: string | RegExp;
  reply: ScriptedReply | ScriptedHandler;
  /** True when the real command changes the host; dry-run tests assert none of these ran. */
  mutates: boolean;
}

export interface ScriptedFile {
  /** "other" as Host.stat says it: a block device, whose lstat size is 0 whatever it holds. */
  type: "file" | "dir" | "symlink" | "other";
  content: string;
  mode: number;
  uid: number;
  gid: number;
  linkTarget?: string;
}

export type ScriptedEvent =
  | { kind: "exec"; command: string; mutates: boolean; matched: boolean }
  | { kind: "write"; path: string; mutates: true }
  | { kind: "reconnect"; acceptHostKeys?: string[]; mutates: false };

/**
 * A fake host for tests and demos: answers commands from rules and file reads from an in-memory tree
 * loaded from fixtures of real systems, and records everything it was asked to do. A command no rule
 * matches exits 127 and counts as a mutation, so a probe that runs something unexpected fails the
 * "dry-run changes nothing" check instead of passing silently.
 */
export class ScriptedHost implements Host {
  readonly files = new Map<string, ScriptedFile>();
  readonly rules: ScriptedRule[] = [];
  readonly log: ScriptedEvent[] = [];
  /** Unset, like a local host: a test sets it to play an ssh host that verified this key. */
  hostKeyFingerprint?: string;

  constructor(
    readonly role: string,
    readonly address = `scripted:${role}`,
  ) {}

  get mutations(): ScriptedEvent[] {
    return this.log.filter((event) => event.mutates);
  }

  /** Later rules win over earlier ones, so a test can override a fixture's answer. */
  on(match: string | RegExp, reply: ScriptedReply | ScriptedHandler, options: { mutates?: boolean } = {}): this {
    this.rules.unshift({ match, reply, mutates: options.mutates ?? false });
    return this;
  }

  putFile(path: string, content: string, attrs: Partial<Omit<ScriptedFile, "content">> = {}): this {
    this.files.set(path, { type: "file", mode: 0o644, uid: 0, gid: 0, ...attrs, content });
    return this;
  }

  putSymlink(path: string, target: string): this {
    this.files.set(path, { type: "symlink", content: "", mode: 0o777, uid: 0, gid: 0, linkTarget: target });
    return this;
  }

  /** A block device (/dev/loop3): its content is what lstat's size says of it, nothing. */
  putBlockDevice(path: string, mode = 0o660): this {
    this.files.set(path, { type: "other", content: "", mode, uid: 0, gid: 6, linkTarget: undefined });
    return this;
  }

  putDir(path: string, mode = 0o755): this {
    this.files.set(path, { type: "dir", content: "", mode, uid: 0, gid: 0 });
    return this;
  }

  deleteFile(path: string): void {
    this.files.delete(path);
  }

  /**
   * Set by a test (the host rebooted, its session was killed): every call fails as over a lost ssh
   * connection until a reconnect succeeds.
   */
  connectionLost = false;

  private assertConnected(what: string): void {
    if (this.connectionLost)
      throw new Error(`on ${this.role} (${this.address}): the connection was lost while running \`${what}\``);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.assertConnected(command);
    if (options.signal?.aborted) return { code: -1, stdout: "", stderr: "", aborted: true };
    const rule = this.rules.find((r) => (typeof r.match === "string" ? r.match === command : r.match.test(command)));
    if (!rule) {
      const builtin = this.builtin(command);
      if (builtin) {
        this.log.push({ kind: "exec", command, mutates: false, matched: true });
        return this.deliver(builtin, options);
      }
      this.log.push({ kind: "exec", command, mutates: true, matched: false });
      return this.deliver({ code: 127, stderr: `scripted host ${this.role}: no rule for: ${command}\n` }, options);
    }
    this.log.push({ kind: "exec", command, mutates: rule.mutates, matched: true });
    const stdin = options.stdin === undefined ? undefined : await stdinText(options.stdin);
    const reply =
      typeof rule.reply === "function" ? await rule.reply(command, this, { ...options, stdin }) : rule.reply;
    return this.deliver(reply, options);
  }

  /** Answers the few read-only commands every probe uses straight from the file tree. */
  private builtin(command: string): ScriptedReply | null {
    const cat = /^cat ('[^']*'|\S+)$/.exec(command);
    if (cat) {
      const file = this.files.get(unquote(cat[1]!));
      return file?.type === "file"
        ? { stdout: file.content }
        : { code: 1, stderr: `cat: ${unquote(cat[1]!)}: No such file or directory\n` };
    }
    const test = /^test -([efdL]) ('[^']*'|\S+)$/.exec(command);
    if (test) {
      const file = this.files.get(unquote(test[2]!));
      const ok =
        test[1] === "e"
          ? !!file
          : test[1] === "f"
            ? file?.type === "file"
            : test[1] === "d"
              ? file?.type === "dir"
              : file?.type === "symlink";
      return { code: ok ? 0 : 1 };
    }
    return null;
  }

  private deliver(reply: ScriptedReply, options: ExecOptions): ExecResult {
    const stdout = reply.stdout ?? "";
    const stderr = reply.stderr ?? "";
    if (options.onStdout) for (const line of splitLines(stdout)) options.onStdout(line);
    if (options.onStdoutText && stdout !== "") options.onStdoutText(stdout);
    if (options.onStderr) for (const line of splitLines(stderr)) options.onStderr(line);
    return {
      code: reply.code ?? 0,
      stdout: options.stdoutTailChars === undefined ? stdout : tailFrom(stdout, options.stdoutTailChars),
      stderr,
    };
  }

  async readFile(path: string): Promise<string> {
    this.assertConnected(`cat ${path}`);
    const file = this.files.get(path);
    if (!file || file.type !== "file") throw new FileNotFoundError(path, this.address);
    return file.content;
  }

  async writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    this.assertConnected(`write ${path}`);
    this.log.push({ kind: "write", path, mutates: true });
    const previous = this.files.get(path);
    this.putFile(path, content, {
      mode: options.mode ?? previous?.mode ?? 0o644,
      uid: previous?.uid ?? 0,
      gid: previous?.gid ?? 0,
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    this.assertConnected(`stat ${path}`);
    const file = this.files.get(path);
    if (!file) return null;
    return {
      type: file.type,
      mode: file.mode,
      size: Buffer.byteLength(file.content),
      uid: file.uid,
      gid: file.gid,
      linkTarget: file.linkTarget,
    };
  }

  /** Set by a test to make the next reconnects fail (a host that is still rebooting). */
  reconnectFailures = 0;

  async reconnect(options: ReconnectOptions = {}): Promise<void> {
    this.log.push({ kind: "reconnect", acceptHostKeys: options.acceptHostKeys, mutates: false });
    if (this.reconnectFailures > 0) {
      this.reconnectFailures--;
      throw new Error(`scripted host ${this.role}: connection refused`);
    }
    this.connectionLost = false;
  }

  async close(): Promise<void> {}

  /** A stable picture of the file tree, for "same final state" comparisons. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [path, file] of [...this.files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[path] = `${file.type}:${file.mode.toString(8)}:${file.linkTarget ?? file.content}`;
    }
    return out;
  }
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function unquote(word: string): string {
  return word.startsWith("'") ? word.slice(1, -1).replace(/'\\''/g, "'") : word;
}
