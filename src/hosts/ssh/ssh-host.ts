import { randomBytes } from "node:crypto";
import type { Client, ClientChannel } from "ssh2";
import { BlockedError } from "../../errors.js";
import type { Endpoint } from "../../plan/endpoint.js";
import {
  CommandFailedError,
  FileNotFoundError,
  type ExecOptions,
  type ExecResult,
  type FileStat,
  type Host,
  type ReconnectOptions,
  type WriteOptions,
} from "../host.js";
import { shellQuote } from "../quote.js";
import { establish, type Established } from "./establish.js";
import { SshUnreachableError } from "./errors.js";
import {
  isAbsentResult,
  killTaggedCommand,
  parseStatOutput,
  readFileCommand,
  statCommand,
  remoteCommandLine,
  keptShellCommandLine,
  keptShellPrologue,
  writeFileCommand,
} from "./remote-files.js";
import { batchable, CommandBatch } from "./command-batch.js";
import { ShellSession, type ShellChannel } from "./shell-session.js";
import { ShellPool, type KeptShell } from "./shell-pool.js";
import { ChannelLostError, runOnChannel } from "./run-channel.js";
import { Semaphore } from "./semaphore.js";
import { traceCommand, traceTiming } from "../timing-trace.js";

/** sshd's MaxSessions defaults to 10 channels per connection; stay below it. */
const MAX_PARALLEL_COMMANDS = 8;

/** A dry run's kept shells per host (shell-pool.ts): two use both CPUs of a small VM, each holds a session. */
const KEPT_SHELLS = 2;

/**
 * A Host over ssh2: host key verified (known_hosts or a pinned fingerprint), public-key auth, commands as
 * root or through `sudo -n`, several commands at once on one connection. See config-resolution.ts for how
 * ~/.ssh/config and the plan combine, errors.ts for which failures are exit 2 and which exit 3.
 */
export class SshHost implements Host {
  private connection: Established | null;
  private lost = false;
  /** Clients whose socket already closed: close() must not wait for a "close" that already happened. */
  private readonly closedClients = new WeakSet<Client>();
  private readonly sessions = new Semaphore(MAX_PARALLEL_COMMANDS);
  /** Set by reconnect({acceptHostKeys}): from then on only these fingerprints are trusted. */
  private acceptHostKeys: string[] | undefined;
  /** Kept when the connection closes, so messages after a failed reconnect still name the host. */
  private lastAddress: string;
  /** A dry run's commands asked together share one session (batchCommands); undefined otherwise. */
  private batch: CommandBatch | undefined;
  /** The dry run's kept shells, opened by its first batch. */
  private shells: ShellPool | undefined;
  /** Kills of stopped commands still running on their own sessions (each bounded by its timeout). */
  private readonly pendingKills = new Set<Promise<void>>();

  private constructor(
    private readonly endpoint: Endpoint,
    readonly role: string,
    connection: Established,
  ) {
    this.connection = connection;
    this.lastAddress = describeConnection(connection);
    this.watch(connection);
  }

  /** With acceptHostKeys (a resumed migration that already copied keys), only those fingerprints are trusted. */
  static async connect(
    endpoint: Endpoint,
    role: string,
    options: { acceptHostKeys?: string[]; batchCommands?: boolean; signal?: AbortSignal } = {},
  ): Promise<SshHost> {
    const accept =
      options.acceptHostKeys && options.acceptHostKeys.length > 0 ? [...options.acceptHostKeys] : undefined;
    const asked = performance.now();
    const host = new SshHost(
      endpoint,
      role,
      await establish({ endpoint, role, acceptHostKeys: accept, signal: options.signal }),
    );
    traceTiming(`${role}: connected in ${Math.round(performance.now() - asked)} ms`);
    host.acceptHostKeys = accept;
    if (options.batchCommands)
      host.batch = new CommandBatch(
        (command, run) => host.execAlone(command, run),
        role,
        (script, signal) => host.runInShell(script, signal),
        KEPT_SHELLS,
      );
    try {
      await host.checkPrivileges();
    } catch (error) {
      await host.close();
      throw error;
    }
    traceTiming(`${role}: ready (root checked) ${Math.round(performance.now() - asked)} ms after connecting began`);
    return host;
  }

  /** "root@203.0.113.5:22" after ~/.ssh/config resolution (HostName, User, Port). */
  get address(): string {
    return this.lastAddress;
  }

  /** SHA256 fingerprint of the host key the target presented on the current connection (verified). */
  get hostKeyFingerprint(): string | undefined {
    return this.connection?.fingerprint;
  }

  /** Its type: "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". */
  get hostKeyType(): string | undefined {
    return this.connection?.keyType;
  }

  /** Fingerprints the jump hosts presented, first hop first. */
  get jumpHostKeys(): Array<{ host: string; port: number; fingerprint: string }> {
    return this.connection?.jumps ?? [];
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.refusedBySudo(
      this.batch && batchable(options)
        ? await this.batch.exec(command, options.signal)
        : await this.execAlone(command, options),
    );
  }

  /** The result, unless sudo wanted a password for it (the user must allow NOPASSWD). */
  private refusedBySudo(result: ExecResult): ExecResult {
    if (this.endpoint.sudo && result.code === 1 && sudoWantsPassword(result.stderr))
      throw sudoPasswordError(this, this.connection?.target.user ?? this.endpoint.user);
    return result;
  }

  /** One command on a session of its own. */
  private async execAlone(command: string, options: ExecOptions): Promise<ExecResult> {
    const tag = randomBytes(8).toString("hex");
    const asked = performance.now();
    return this.sessions.use(async () => {
      const client = this.client();
      const started = performance.now();
      try {
        const result = await runOnChannel(
          client,
          remoteCommandLine(command, tag, this.endpoint.sudo),
          options,
          (signal) => this.killTagged(client, tag, signal),
        );
        traceTiming(
          `${this.role}: session ${Math.round(performance.now() - started)} ms` +
            `${started - asked >= 1 ? ` (after ${Math.round(started - asked)} ms waiting for a free session)` : ""}: ${traceCommand(command)}`,
        );
        return result;
      } catch (error) {
        if (error instanceof ChannelLostError || this.lost) {
          throw new SshUnreachableError(
            `on ${this.role} (${this.address}): the connection was lost while running \`${command}\`; whether it finished is unknown`,
          );
        }
        throw new SshUnreachableError(
          `on ${this.role} (${this.address}): cannot start \`${command}\`: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  }

  /**
   * A dry run's batch in one of the shells kept open for them (see shell-pool.ts), or on a session of its own
   * when none could be opened or all have ended. An abort stops that shell and whatever it runs.
   */
  private async runInShell(script: string, signal: AbortSignal | undefined): Promise<ExecResult> {
    const aborted: ExecResult = { code: -1, stdout: "", stderr: "", aborted: true };
    if (signal?.aborted) return aborted;
    const sent = await (this.shells ??= new ShellPool(() => this.openShell(), KEPT_SHELLS)).send(script);
    if (!sent) return this.execAlone(script, { signal });
    const { shell, answer } = sent;
    answer.catch(() => undefined); // after an abort, nobody waits for it any more
    // An abort answers at once (the batch's commands then run alone, and see the abort), and stops the
    // shell with whatever it runs; the batches sent after this one go to the other shell or on sessions of their own.
    let onAbort = (): void => undefined;
    const stopped = new Promise<ExecResult>((resolve) => {
      onAbort = () => {
        const client = this.connection?.clients.at(-1);
        if (client) this.killTagged(client, shell.tag, "TERM");
        shell.session.close();
        resolve(aborted);
      };
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await Promise.race([answer.then((output): ExecResult => ({ code: 0, ...output })), stopped]);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private async openShell(): Promise<KeptShell | undefined> {
    const tag = randomBytes(8).toString("hex");
    const started = performance.now();
    let client: Client;
    try {
      client = this.client();
    } catch {
      return undefined;
    }
    const channel = await new Promise<ClientChannel | undefined>((resolve) =>
      client.exec(keptShellCommandLine(tag, this.endpoint.sudo), (error, opened) =>
        resolve(error ? undefined : opened),
      ),
    );
    if (!channel) return undefined;
    channel.write(keptShellPrologue(tag));
    traceTiming(`${this.role}: shell opened in ${Math.round(performance.now() - started)} ms`);
    const closed = new Promise<void>((resolve) => channel.once("close", () => resolve()));
    // A write after the shell ended (a script that exits it) errors on the channel: unhandled, that would end the
    // run. The shell is done either way; closing makes its pending batches fail over to sessions of their own.
    channel.on("error", () => channel.close());
    // it holds one of the connection's sessions for as long as it lives
    void this.sessions.use(() => closed);
    const wrapped: ShellChannel = {
      write: (text) => void channel.write(text),
      onStdout: (listener) => void channel.on("data", listener),
      onStderr: (listener) => void channel.stderr.on("data", listener),
      onClose: (listener) => void closed.then(listener),
      close: () => channel.end(),
    };
    return { session: new ShellSession(wrapped), tag };
  }

  async readFile(path: string): Promise<string> {
    const command = readFileCommand(path);
    const result = await this.exec(command);
    if (result.code === 0) return result.stdout;
    if (isAbsentResult(result.code, result.stderr)) throw new FileNotFoundError(path, this.address);
    throw new CommandFailedError(this, command, result);
  }

  async writeFile(path: string, content: string, options: WriteOptions = {}): Promise<void> {
    const command = writeFileCommand(path, options.mode);
    const result = await this.exec(command, { stdin: content });
    if (result.code !== 0) throw new CommandFailedError(this, command, result);
  }

  async stat(path: string): Promise<FileStat | null> {
    const command = statCommand(path);
    // a dry run's batch shares one stat program with the other stats asked at the same time
    const result = this.batch ? this.refusedBySudo(await this.batch.stat(path)) : await this.exec(command);
    if (result.code !== 0) throw new CommandFailedError(this, command, result);
    return parseStatOutput(result.stdout);
  }

  /**
   * One attempt to connect again (the caller adds backoff). With acceptHostKeys, this and every later
   * connection trusts only those fingerprints: after a migration copied the source's host keys onto the
   * target, the target must present one of them, nothing else.
   */
  async reconnect(options: ReconnectOptions = {}): Promise<void> {
    if (options.acceptHostKeys) {
      if (options.acceptHostKeys.length === 0)
        throw new BlockedError(`${this.role}: reconnect was asked to accept no host key at all`);
      this.acceptHostKeys = [...options.acceptHostKeys];
    }
    await this.close();
    const connection = await establish({
      endpoint: this.endpoint,
      role: this.role,
      acceptHostKeys: this.acceptHostKeys,
      timeoutMs: options.timeoutMs,
    });
    this.connection = connection;
    this.lastAddress = describeConnection(connection);
    this.lost = false;
    this.watch(connection);
    try {
      await this.checkPrivileges();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closeShells();
    // An aborted command's kill is still on its way (Ctrl-C, then the CLI closes its hosts): ending the
    // connection first would leave the command running on the host (sshd ignores signals for root).
    await Promise.all([...this.pendingKills]);
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    for (const client of [...connection.clients].reverse()) {
      if (!this.closedClients.has(client)) await endClient(client);
    }
  }

  /**
   * Kills a timed-out or aborted command and its children on a spare session (outside the semaphore: it
   * must not queue behind the commands it is meant to stop; 8 + 1 stays under sshd's MaxSessions 10).
   */
  private killTagged(client: Client, tag: string, signal: "TERM" | "KILL"): void {
    const kill = runOnChannel(
      client,
      this.endpoint.sudo
        ? `sudo -n sh -c ${shellQuote(killTaggedCommand(tag, signal))}`
        : killTaggedCommand(tag, signal),
      { timeoutMs: 10_000 },
    )
      .then(() => undefined)
      .catch(() => {
        // best effort: the connection may be gone, which ends the command's session anyway
      })
      .finally(() => this.pendingKills.delete(kill));
    this.pendingKills.add(kill);
  }

  /** The next batch opens new shells (on the current connection). */
  private closeShells(): void {
    this.shells?.close();
    this.shells = undefined;
  }

  private client(): Client {
    if (!this.connection)
      throw new SshUnreachableError(`${this.role}: not connected (closed, or the last reconnect failed)`);
    if (this.lost)
      throw new SshUnreachableError(`${this.role}: the connection to ${this.address} was lost; reconnect first`);
    return this.connection.clients[this.connection.clients.length - 1]!;
  }

  private watch(connection: Established): void {
    for (const client of connection.clients) {
      client.on("close", () => {
        this.closedClients.add(client);
        if (this.connection === connection) this.lost = true;
      });
    }
  }

  /** Mudanza rewrites system files: it needs root, directly or through a sudo that never asks. */
  private async checkPrivileges(): Promise<void> {
    const result = await this.exec("id -u");
    if (this.endpoint.sudo && result.code === 127)
      throw new BlockedError(
        `${this.role} (${this.address}): sudo: true is set, but sudo is not installed there (${result.stderr.trim()})`,
      );
    if (result.code !== 0) throw new CommandFailedError(this, "id -u", result);
    const uid = result.stdout.trim();
    if (uid === "0") return;
    throw new BlockedError(
      this.endpoint.sudo
        ? `${this.role} (${this.address}): commands through sudo run as uid ${uid}, not root`
        : `${this.role} (${this.address}): logged in as uid ${uid}, not root. Log in as root, or set sudo: true for ${this.role} (with a NOPASSWD sudo rule).`,
    );
  }
}

function describeConnection({ target, jumps }: Established): string {
  return `${target.user}@${target.hostName}:${target.port}${jumps.length > 0 ? ` via ${jumps.map((j) => j.host).join(",")}` : ""}`;
}

export function sudoWantsPassword(stderr: string): boolean {
  return /^sudo: (a password is required|a terminal is required|no tty present)/m.test(stderr);
}

function sudoPasswordError(host: SshHost, user: string): BlockedError {
  return new BlockedError(
    `${host.role} (${host.address}): sudo asks for a password, and mudanza never types one. Allow it without a password, ` +
      `e.g. a file /etc/sudoers.d/mudanza with "${user} ALL=(root) NOPASSWD: ALL" (edit with visudo), or log in as root.`,
  );
}

function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    client.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}
