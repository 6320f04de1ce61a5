import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Journal } from "../../../src/journal/journal.js";

const BIN = fileURLToPath(new URL("../../../bin/mudanza.js", import.meta.url));

export interface CliEvent {
  type: string;
  stepId?: string;
  phase?: string;
  [key: string]: unknown;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: CliEvent[];
  stderr: string;
  /** The CLI had announced pipeline-end but did not exit within a minute (the runner SIGKILLed it). */
  hungAfterEnd: boolean;
}

/**
 * Runs the real CLI (`node bin/mudanza.js ARGS --json`) as a child process, parsing its NDJSON events;
 * `onEvent` may act on the child (a test SIGKILLs it in the middle of a step). Everything the CLI prints
 * is appended to logFile, for a failing test's post-mortem.
 */
export function runCli(
  args: string[],
  logFile: string,
  onEvent?: (event: CliEvent, child: ChildProcess) => void,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    const events: CliEvent[] = [];
    let stderr = "";
    let buffer = "";
    let hungAfterEnd = false;
    let hangTimer: NodeJS.Timeout | undefined;
    appendFileSync(logFile, `\n=== mudanza ${args.join(" ")}\n`);
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      appendFileSync(logFile, text);
      buffer += text;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        try {
          const event = JSON.parse(line) as CliEvent;
          events.push(event);
          onEvent?.(event, child);
          if (event.type === "pipeline-end" && !hangTimer) {
            hangTimer = setTimeout(() => {
              hungAfterEnd = true;
              child.kill("SIGKILL");
            }, 60_000);
          }
        } catch {
          // not an event line
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      appendFileSync(logFile, chunk);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(hangTimer);
      resolve({ code, signal, events, stderr, hungAfterEnd });
    });
  });
}

/** The facts of the journal the run itself named in its pipeline-end event (journals are keyed by name and plan path). */
export async function readJournalFacts(events: CliEvent[]): Promise<Record<string, unknown>> {
  const end = events.find((e) => e.type === "pipeline-end");
  const path = typeof end?.journal === "string" ? end.journal : undefined;
  if (!path) throw new Error("the run's pipeline-end event names no journal");
  const journal = await Journal.read(path);
  if (!journal) throw new Error(`no journal at ${path}, where the run said it wrote it`);
  return journal.facts;
}
