import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline, type RunMode, type RunOutcome } from "../../src/engine/runner.js";
import type { Pipeline } from "../../src/engine/step.js";
import type { Host } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { Journal } from "../../src/journal/journal.js";
import { argumentJournal } from "../../src/cli/arg-journal.js";

const created: string[] = [];
// Every test file that imports this helper removes the state folders it made.
afterAll(async () => {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs an argument-built pipeline the way the CLI does (journal keyed by the arguments), collecting events. */
export async function runLocal<P>(
  pipeline: Pipeline<P>,
  plan: P,
  mode: RunMode,
  options: { stateDir?: string; host?: Host; signal?: AbortSignal } = {},
): Promise<{ outcome: RunOutcome; events: PipelineEvent[]; stateDir: string }> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), "mudanza-image-state-")));
  if (!options.stateDir) created.push(stateDir);
  const ids = argumentJournal(pipeline.kind, plan);
  const journal = await Journal.open({ stateDir, ...ids, kind: pipeline.kind, readOnly: mode === "dry-run" });
  const events: PipelineEvent[] = [];
  try {
    const outcome = await runPipeline({
      pipeline,
      plan,
      hosts: { local: options.host ?? new LocalHost("local") },
      journal,
      mode,
      sink: (e) => events.push(e),
      signal: options.signal,
    });
    return { outcome, events, stateDir };
  } finally {
    await journal.close();
  }
}
