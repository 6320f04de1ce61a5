import { randomBytes } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import { sh } from "../quote.js";

/** A running `sh -s` reading its script from stdin: an ssh2 session channel, or a local child in tests. */
export interface ShellChannel {
  write(text: string): void;
  onStdout(listener: (chunk: Buffer) => void): void;
  onStderr(listener: (chunk: Buffer) => void): void;
  /** Called once when the shell or its channel is gone. */
  onClose(listener: () => void): void;
  close(): void;
}

/** What a script wrote on stdout and on stderr. */
export interface ShellOutput {
  stdout: string;
  stderr: string;
}

interface Pending {
  mark: string;
  resolve(output: ShellOutput): void;
  reject(error: Error): void;
}

/** The shell ended (or was closed) before a script's output was complete. */
export class ShellEndedError extends Error {
  override name = "ShellEndedError";
  constructor() {
    super("the shell session ended before the script's output was complete");
  }
}

/**
 * One shell kept open for a dry run's batches: each script is written to its stdin and its output ends at a
 * random mark printed after it on stdout and on stderr. On a slow host (the lab's TCG VM) a new ssh session
 * costs about 0.3 s (sshd's session, the login shell, env, sh) before the first command runs; a script sent
 * here costs only its own commands. Scripts run one after another in the order sent; a script must not read
 * stdin (the batches' commands run with </dev/null) or end the shell (each runs in a subshell).
 */
export class ShellSession {
  private readonly pending: Pending[] = [];
  private readonly outDecoder = new StringDecoder("utf8");
  private readonly errDecoder = new StringDecoder("utf8");
  private out = "";
  private err = "";
  private ended = false;
  private closing = false;

  constructor(private readonly channel: ShellChannel) {
    channel.onStdout((chunk) => {
      this.out += this.outDecoder.write(chunk);
      this.settle();
    });
    channel.onStderr((chunk) => {
      this.err += this.errDecoder.write(chunk);
      this.settle();
    });
    channel.onClose(() => {
      this.ended = true;
      for (const waiting of this.pending.splice(0)) waiting.reject(new ShellEndedError());
    });
  }

  /** False once it ended or close() was called: nothing more may be sent. */
  get alive(): boolean {
    return !this.ended && !this.closing;
  }

  /** Scripts sent and not answered yet. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Runs `script` after everything sent before it; resolves with what it wrote on stdout and stderr. */
  run(script: string): Promise<ShellOutput> {
    if (!this.alive) return Promise.reject(new ShellEndedError());
    const mark = `mudanza-end-${randomBytes(8).toString("hex")}`;
    return new Promise((resolve, reject) => {
      this.pending.push({ mark, resolve, reject });
      this.channel.write(`${script}\n${sh`printf '\n%s\n' ${mark}; printf '\n%s\n' ${mark} >&2`}\n`);
    });
  }

  /** Ends its input: the shell exits after what it runs now; scripts not answered by then fail. */
  close(): void {
    this.closing = true;
    this.channel.close();
  }

  private settle(): void {
    for (let head = this.pending[0]; head; head = this.pending[0]) {
      const end = `\n${head.mark}\n`;
      const outEnd = this.out.indexOf(end);
      const errEnd = this.err.indexOf(end);
      if (outEnd === -1 || errEnd === -1) return;
      this.pending.shift();
      head.resolve({ stdout: this.out.slice(0, outEnd), stderr: this.err.slice(0, errEnd) });
      this.out = this.out.slice(outEnd + end.length);
      this.err = this.err.slice(errEnd + end.length);
    }
  }
}
