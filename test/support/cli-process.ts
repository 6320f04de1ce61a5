import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const BIN = join(resolve(import.meta.dirname, "../.."), "bin", "mudanza.js");

/**
 * The CLI (bin/mudanza.js) in a process of its own, its output collected as it comes: for tests that signal it
 * midway. `ended` resolves once it closed, with its exit code or the signal that ended it. `stdout`: a file
 * descriptor to write it to instead (then output.stdout stays empty); `stderr` likewise.
 */
export function startCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; stdout?: number; stderr?: number },
): {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  const { stdout, stderr, ...spawnOptions } = options;
  const child = spawn(process.execPath, [BIN, ...args], {
    ...spawnOptions,
    stdio: ["ignore", stdout ?? "pipe", stderr ?? "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c: Buffer) => (output.stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output.stderr += c.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("close", (code, signal) => done({ code, signal })),
  );
  return { child, output, ended };
}

/** Waits until `marker` exists (a shim writes it when the CLI reaches it); throws `ifEnded` if the CLI ended first. */
export async function untilMarked(marker: string, child: ChildProcess, ifEnded: () => string): Promise<void> {
  while (!existsSync(marker)) {
    if (child.exitCode !== null) throw new Error(ifEnded());
    await new Promise((r) => setTimeout(r, 50));
  }
}
