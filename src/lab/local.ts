import { execa } from "execa";
import { formatSilence, SilenceWatchdog } from "../hosts/watchdog.js";

/**
 * Runs a command on the lab machine (argv, no shell). The lab builds and boots hosts on this machine,
 * so it uses the local process runner directly; a failure names the command and the end of its output.
 */
export async function runLocal(
  argv: string[],
  options: {
    input?: string;
    timeoutMs?: number;
    /** Stop the command (its whole process group) after this long without a line of output: hung, not slow. */
    silenceTimeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
  } = {},
): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error("runLocal needs a command");
  const child = execa(file, args, {
    reject: false,
    input: options.input,
    timeout: options.timeoutMs,
    env: options.env,
    cwd: options.cwd,
    encoding: "utf8",
    all: true,
    // its own process group, so a silent command is stopped with everything it started (dpkg in a chroot)
    detached: options.silenceTimeoutMs !== undefined,
  });
  let silentFor: number | undefined;
  if (options.silenceTimeoutMs !== undefined) {
    const stopGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const watchdog = new SilenceWatchdog(options.silenceTimeoutMs, (ms) => {
      silentFor = ms;
      stopGroup();
    });
    child.all?.on("data", () => watchdog.heard());
    // Its own group no longer gets the terminal's Ctrl-C: stop it when this process exits, however it exits.
    process.on("exit", stopGroup);
    void child.finally(() => {
      watchdog.stop();
      process.off("exit", stopGroup);
    });
  }
  const result = await child;
  if (silentFor !== undefined)
    throw new LabCommandError(
      `lab command printed nothing for ${formatSilence(silentFor)} and was stopped: ${argv.join(" ")}`,
    );
  if (result.exitCode !== 0) {
    const tail = String(result.all ?? "")
      .split("\n")
      .slice(-15)
      .join("\n");
    throw new LabCommandError(
      `lab command failed (exit ${String(result.exitCode ?? result.signal)}): ${argv.join(" ")}\n${tail}`,
    );
  }
  return String(result.stdout ?? "");
}

/** Like runLocal, but returns the exit code instead of throwing. */
export async function tryLocal(
  argv: string[],
  options: { timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, ...args] = argv;
  if (!file) throw new Error("tryLocal needs a command");
  const result = await execa(file, args, { reject: false, timeout: options.timeoutMs, encoding: "utf8" });
  return {
    code: typeof result.exitCode === "number" ? result.exitCode : -1,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
  };
}

export class LabCommandError extends Error {
  override name = "LabCommandError";
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
