import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline, type GatePrompt, type RunMode, type RunOutcome } from "../../src/engine/runner.js";
import type { Host } from "../../src/hosts/host.js";
import { Journal } from "../../src/journal/journal.js";
import { buildDemoPipeline, type DemoOptions } from "./demo-pipeline.js";

export async function tempStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "mudanza-state-"));
}

export interface DemoRun {
  outcome: RunOutcome;
  events: PipelineEvent[];
  journal: Journal;
}

/** Runs the demo pipeline once against the given hosts and state dir, collecting every event. */
export async function runDemo(
  hosts: Record<string, Host>,
  stateDir: string,
  options: Partial<DemoOptions> & {
    mode?: RunMode;
    planHash?: string;
    restart?: boolean;
    confirm?: (p: GatePrompt) => Promise<boolean>;
    signal?: AbortSignal;
    root?: string;
    onEvent?: (e: PipelineEvent) => void;
  } = {},
): Promise<DemoRun> {
  const events: PipelineEvent[] = [];
  const journal = await Journal.open({
    stateDir,
    migrationId: "demo",
    kind: "demo",
    planPath: "demo.yaml",
    planHash: options.planHash ?? "hash-1",
    restart: options.restart,
    readOnly: options.mode === "dry-run",
  });
  try {
    const outcome = await runPipeline({
      pipeline: buildDemoPipeline({ root: options.root ?? "/srv", failOnce: options.failOnce, during: options.during }),
      plan: {},
      hosts,
      journal,
      mode: options.mode ?? "yes",
      sink: (e) => {
        events.push(e);
        options.onEvent?.(e);
      },
      confirm: options.confirm,
      signal: options.signal,
      resumeCommand: "mudanza run demo.yaml --yes",
    });
    return { outcome, events, journal };
  } finally {
    await journal.close();
  }
}
