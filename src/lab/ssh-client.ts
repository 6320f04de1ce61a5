import { execa } from "execa";
import { sleep } from "./local.js";

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The lab's own SSH client (OpenSSH `ssh`) for readiness checks and test assertions. Host keys are always
 * checked against a known_hosts file the lab wrote; a wrong key is a failure, never a prompt.
 */
export class LabSsh {
  constructor(
    readonly host: string,
    readonly port: number,
    private readonly identityFile: string,
    private readonly knownHostsFile: string,
  ) {}

  argv(command: string, extra: string[] = []): string[] {
    return [
      "-i",
      this.identityFile,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      `UserKnownHostsFile=${this.knownHostsFile}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=3",
      "-o",
      "LogLevel=ERROR",
      ...extra,
      "-p",
      String(this.port),
      `root@${this.host}`,
      command,
    ];
  }

  async exec(command: string, options: { timeoutMs?: number; input?: string } = {}): Promise<SshResult> {
    const result = await execa("ssh", this.argv(command), {
      reject: false,
      timeout: options.timeoutMs ?? 120_000,
      input: options.input,
      encoding: "utf8",
    });
    return {
      code: typeof result.exitCode === "number" ? result.exitCode : -1,
      stdout: String(result.stdout ?? ""),
      stderr: String(result.stderr ?? ""),
    };
  }

  /** Runs the command and returns stdout; throws with stderr when it fails. */
  async run(command: string, options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.code !== 0)
      throw new Error(
        `ssh ${this.host}:${this.port} \`${command}\` exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
      );
    return result.stdout;
  }

  /** Polls until the command succeeds; returns its stdout, or throws after timeoutMs with the last error. */
  async waitFor(command: string, timeoutMs: number, what: string, isAlive?: () => boolean): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      if (isAlive && !isAlive()) throw new Error(`${what}: the process ended (last answer: ${last || "none"})`);
      const result = await this.exec(command, { timeoutMs: 30_000 });
      if (result.code === 0) return result.stdout;
      last = (result.stderr.trim() || result.stdout.trim() || `exit ${result.code}`).split("\n").slice(-2).join(" ");
      await sleep(2000);
    }
    throw new Error(`${what}: not ready after ${Math.round(timeoutMs / 1000)} s (last answer: ${last})`);
  }
}
