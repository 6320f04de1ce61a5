import type { PipelineEvent } from "../../../src/engine/events.js";
import { runPipeline, type GatePrompt, type RunMode } from "../../../src/engine/runner.js";
import { Journal } from "../../../src/journal/journal.js";
import { parsePlan } from "../../../src/plan/load.js";
import { buildVserverToOpenvz } from "../../../src/pipelines/vserver-to-openvz/pipeline.js";
import type { VsPlan } from "../../../src/steps/vserver-to-openvz/context.js";
import type { World } from "./scripted-world.js";

/** The web1 plan on scripted hosts, with extra options written as YAML flow text (", key: value"). */
export const worldPlan = (options = ""): VsPlan => {
  const loaded = parsePlan(
    `kind: vserver-to-openvz\nsource: {transport: scripted, fixture: x, host: vs1.example.net}\ntarget: {transport: scripted, fixture: x, host: node1.example.net}\noptions: {guest: web1${options}}\n`,
    "/tmp/vserver-web1.yaml",
  );
  return loaded.plan as VsPlan;
};

/** The journal of the web1 plan's migration in stateDir, as runWorld keeps it (read only for a dry run). */
export const worldJournal = (stateDir: string, readOnly = false): Promise<Journal> =>
  Journal.open({
    stateDir,
    migrationId: "web1",
    kind: "vserver-to-openvz",
    planPath: "/tmp/vserver-web1.yaml",
    planHash: "h",
    readOnly,
  });

/**
 * One run of the pipeline on the world's hosts, journaled in stateDir (a dry run only reads the journal);
 * an interactive run answers each gate with `confirm`.
 */
export async function runWorld(
  world: World,
  mode: RunMode,
  p: VsPlan,
  stateDir: string,
  confirm?: (prompt: GatePrompt) => Promise<boolean>,
) {
  const events: PipelineEvent[] = [];
  const journal = await worldJournal(stateDir, mode === "dry-run");
  try {
    const outcome = await runPipeline({
      pipeline: buildVserverToOpenvz(p),
      plan: p,
      hosts: { source: world.source, target: world.target },
      journal,
      mode,
      sink: (e) => events.push(e),
      confirm,
    });
    return { outcome, events, compensations: journal.snapshot.compensations, facts: journal.snapshot.facts };
  } finally {
    await journal.close();
  }
}
