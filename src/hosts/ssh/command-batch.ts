import { randomBytes } from "node:crypto";
import type { ExecOptions, ExecResult } from "../host.js";
import { sh } from "../quote.js";
import { statCommand } from "./remote-files.js";
import { combinedStatCommand, splitCombinedStat } from "./combined-stat.js";
import { timingTraceOn, traceCommand, traceTiming } from "../timing-trace.js";

/** One batch stays well under what sshd takes as one command line, and one slow command holds back few others. */
const MAX_COMMANDS = 24;
const MAX_SCRIPT_CHARS = 64 * 1024;

/** Commands with nothing but an abort signal can share a session: no stdin, no callbacks, no timeout of their own. */
export function batchable(options: ExecOptions | undefined): boolean {
  return Object.entries(options ?? {}).every(([key, value]) => value === undefined || key === "signal");
}

/** Runs one command line on its own session (SshHost's plain exec). */
export type RunCommand = (command: string, options: ExecOptions) => Promise<ExecResult>;

/** Runs a batch's script where it is cheaper than a session of its own (SshHost's kept shell); throws if it cannot. */
export type RunScript = (script: string, signal: AbortSignal | undefined) => Promise<ExecResult>;

interface Waiting {
  command: string;
  signal: AbortSignal | undefined;
  /** A stat (statCommand of this path): the stats waiting together go as one command (combined-stat.ts). */
  statPath?: string;
  resolve(result: ExecResult): void;
  reject(error: unknown): void;
}

/**
 * For a dry run, where every command only reads: the commands asked in the same turn of the event loop go
 * to the host as one shell script on one session, each with its own exit code, stdout and stderr, instead
 * of a session each (on a slow host sshd's session setup costs far more than the reads themselves).
 * Each command runs in its own subshell through eval, so its `exit`, `exec` or syntax error ends only its
 * own part; a command whose answer the script did not deliver (the session died half-way) runs on its own.
 */
export class CommandBatch {
  private queue: Waiting[] = [];
  private scheduled = false;
  /** Scripts sent to runScript and not answered yet: at most `lanes` (one per kept shell). */
  private inFlight = 0;

  constructor(
    private readonly run: RunCommand,
    /** Names the host in MUDANZA_TRACE lines. */
    private readonly role = "host",
    /** When set, every batch goes through it, even a batch of one command. */
    private readonly runScript?: RunScript,
    /** How many scripts runScript runs at once: the commands of one turn are split over that many batches. */
    private readonly lanes = 1,
  ) {}

  exec(command: string, signal?: AbortSignal): Promise<ExecResult> {
    return new Promise((resolve, reject) => this.enqueue({ command, signal, resolve, reject }));
  }

  /** What statCommand(path) prints, from a command shared with the other stats waiting in the same turn. */
  stat(path: string): Promise<ExecResult> {
    return new Promise((resolve, reject) =>
      this.enqueue({ command: statCommand(path), signal: undefined, statPath: path, resolve, reject }),
    );
  }

  private enqueue(waiting: Waiting): void {
    this.queue.push(waiting);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.runScript) return this.pump();
    this.combineStats();
    const waiting = this.queue.splice(0);
    for (const group of groups(waiting, MAX_COMMANDS)) void this.send(group);
  }

  /**
   * Kept shells: a script goes out only when a shell is free, and takes its share of what waits then. A command
   * asked while every shell is busy waits here, not behind one shell's script while the other comes free first
   * (traced on the lab's VM: a file's read queued behind a 150 ms dpkg -S while the other shell sat idle).
   */
  private pump(): void {
    this.combineStats();
    // A shell's share of what waits now: a turn asked while all are free is split evenly over them, and one
    // shell coming free leaves the rest to the next.
    const share = Math.min(MAX_COMMANDS, Math.ceil(this.queue.length / this.lanes));
    while (this.inFlight < this.lanes && this.queue.length > 0) {
      // the first of the share's groups (never two abort signals in one); the rest stays first in line
      const [group, ...others] = groups(this.queue.splice(0, share), share);
      this.queue.unshift(...others.flat());
      this.inFlight++;
      void this.send(group!).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /**
   * Two or more stats waiting become one command in the first one's place. When its answer is not whole, each
   * goes back to the queue as its own statCommand.
   */
  private combineStats(): void {
    const stats = this.queue.filter((w) => w.statPath !== undefined);
    if (stats.length < 2) return;
    const paths = stats.map((w) => w.statPath!);
    const retry = () => {
      for (const w of stats) this.enqueue({ ...w, statPath: undefined });
    };
    const combined: Waiting = {
      command: combinedStatCommand(paths),
      signal: undefined,
      resolve: (result) => {
        const answers = splitCombinedStat(result, stats.length);
        if (!answers) return retry();
        stats.forEach((w, index) => w.resolve({ code: 0, stdout: answers[index]!, stderr: "" }));
      },
      reject: (error) => stats.forEach((w) => w.reject(error)),
    };
    this.queue.splice(this.queue.indexOf(stats[0]!), 1, combined);
    this.queue = this.queue.filter((w) => w.statPath === undefined);
  }

  private alone(waiting: Waiting): void {
    this.run(waiting.command, { signal: waiting.signal }).then(waiting.resolve, waiting.reject);
  }

  private async send(group: Waiting[]): Promise<void> {
    if (group.length === 1 && !this.runScript) return this.alone(group[0]!);
    const mark = `mudanza-batch-${randomBytes(8).toString("hex")}`;
    const timed = timingTraceOn();
    const started = performance.now();
    const script = batchScript(
      group.map((w) => w.command),
      mark,
      timed,
    );
    const signal = group.find((w) => w.signal)?.signal;
    let result: ExecResult;
    try {
      result = this.runScript ? await this.runScript(script, signal) : await this.run(script, { signal });
    } catch {
      // the session failed (a lost connection): each command alone fails with its own message, or runs
      for (const waiting of group) this.alone(waiting);
      return;
    }
    const answers = splitBatchOutput(result, mark, group.length);
    if (timed) traceBatch(this.role, group, result, mark, performance.now() - started);
    group.forEach((waiting, index) => {
      const answer = answers[index];
      if (answer) waiting.resolve(answer);
      else this.alone(waiting);
    });
  }
}

/**
 * At most `perBatch` commands and MAX_SCRIPT_CHARS each; never two different abort signals in one (a command
 * without one may join any: if another's signal stops the batch, it runs alone afterwards).
 */
function groups(waiting: Waiting[], perBatch: number): Waiting[][] {
  const out: Waiting[][] = [];
  for (const w of waiting) {
    const group = out.find(
      (g) =>
        (w.signal === undefined || g.every((x) => x.signal === undefined || x.signal === w.signal)) &&
        g.length < perBatch &&
        g.reduce((chars, x) => chars + x.command.length, w.command.length) <= MAX_SCRIPT_CHARS,
    );
    if (group) group.push(w);
    else out.push([w]);
  }
  return out;
}

/**
 * After each command: on stdout a line `MARK:INDEX:CODE`, on stderr a line `MARK:INDEX`, each after a newline
 * of its own (so an answer without a final newline keeps it that way). MARK is random per batch.
 */
export function batchScript(commands: string[], mark: string, timed = false): string {
  // timed (MUDANZA_TRACE): the host's clock before each command and at the end, after the last answer
  const clock = timed ? `{ read t _ </proc/uptime; T="$T $t"; } 2>/dev/null; ` : "";
  const script = commands
    .map(
      (command, index) =>
        clock +
        sh`( eval ${command} ) </dev/null; printf '\n%s:%s:%s\n' ${mark} ${index} "$?"; printf '\n%s:%s\n' ${mark} ${index} >&2`,
    )
    .join("\n");
  // T starts empty: a kept shell (shell-session.ts) runs many of these scripts
  return timed ? `T=\n${script}\n${clock}` + sh`printf '\n%s:times:%s\n' ${mark} "$T" >&2` : script;
}

/** MUDANZA_TRACE: the batch's round trip and, from the host's clock (10 ms steps), each command's own time. */
function traceBatch(role: string, group: Waiting[], result: ExecResult, mark: string, roundTripMs: number): void {
  const line = new RegExp(`\n${mark}:times: *([0-9. ]+)\n`).exec(result.stderr);
  const clock = line ? line[1]!.trim().split(/ +/).map(Number) : [];
  const spent = (index: number): string =>
    clock.length === group.length + 1 ? `${Math.round((clock[index + 1]! - clock[index]!) * 1000)} ms` : "?";
  const onHost = clock.length === group.length + 1 ? `${Math.round((clock.at(-1)! - clock[0]!) * 1000)} ms` : "?";
  traceTiming(`${role}: batch of ${group.length}: ${Math.round(roundTripMs)} ms round trip, ${onHost} on the host`);
  group.forEach((w, index) => traceTiming(`${role}:   ${spent(index).padStart(7)} ${traceCommand(w.command)}`));
}

/** Each command's answer, in order; a hole from the first one the output does not complete. */
export function splitBatchOutput(result: ExecResult, mark: string, count: number): Array<ExecResult | undefined> {
  const answers: Array<ExecResult | undefined> = [];
  let out = 0;
  let err = 0;
  for (let index = 0; index < count; index++) {
    const outEnd = result.stdout.indexOf(`\n${mark}:${index}:`, out);
    const errEnd = result.stderr.indexOf(`\n${mark}:${index}\n`, err);
    if (outEnd === -1 || errEnd === -1) break;
    const codeStart = outEnd + mark.length + String(index).length + 3;
    const lineEnd = result.stdout.indexOf("\n", codeStart);
    const code = lineEnd === -1 ? NaN : Number(result.stdout.slice(codeStart, lineEnd));
    if (!Number.isInteger(code)) break;
    answers.push({ code, stdout: result.stdout.slice(out, outEnd), stderr: result.stderr.slice(err, errEnd) });
    out = lineEnd + 1;
    err = errEnd + mark.length + String(index).length + 3;
  }
  return answers;
}
