import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PipelineEvent } from "../../../src/engine/events.js";
import { runPipeline, type RunMode, type RunOutcome } from "../../../src/engine/runner.js";
import { loadScriptedHost } from "../../../src/hosts/scripted-fixture.js";
import type { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { Journal } from "../../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";
import { loadPlan } from "../../../src/plan/load.js";
import type { PlanOf } from "../../../src/plan/schema.js";
import { rebootTiming } from "../../../src/steps/host/reboot.js";

// Reboot waits in these tests are instant: the scripted host "reboots" inside the command.
rebootTiming.firstDelayMs = 1;
rebootTiming.maxDelayMs = 2;

export type OvzPlan = PlanOf<"openvz-to-kvm">;

export const PAIRS = {
  alma: { plan: "fixtures/plans/ovz-kvm-almalinux-8.9.yaml", family: "rhel", kernel: "4.18.0-513.5.1.el8_9.x86_64" },
  debian: { plan: "fixtures/plans/ovz-kvm-debian-12.yaml", family: "debian", kernel: "6.1.0-35-amd64" },
} as const;

export async function loadPair(
  planPath: string,
  optionOverrides: Partial<OvzPlan["options"]> = {},
): Promise<{ plan: OvzPlan; source: ScriptedHost; target: ScriptedHost }> {
  const loaded = await loadPlan(planPath);
  const plan = loaded.plan as OvzPlan;
  const withOptions: OvzPlan = { ...plan, options: { ...plan.options, ...optionOverrides } };
  const source = await loadScriptedHost(plan.source.fixture!, "source");
  const target = await loadScriptedHost(plan.target.fixture!, "target");
  return { plan: withOptions, source, target };
}

export interface RunResult {
  outcome: RunOutcome;
  events: PipelineEvent[];
  journal: Journal;
  stateDir: string;
}

export async function runOvz(
  plan: OvzPlan,
  hosts: { source: ScriptedHost; target: ScriptedHost },
  mode: RunMode,
  stateDir?: string,
): Promise<RunResult> {
  const dir = stateDir ?? (await mkdtemp(join(tmpdir(), "mudanza-ovz-")));
  const events: PipelineEvent[] = [];
  const journal = await Journal.open({
    stateDir: dir,
    migrationId: plan.name ?? "ovz",
    kind: plan.kind,
    planPath: "plan.yaml",
    planHash: "h",
    readOnly: mode === "dry-run",
  });
  try {
    const outcome = await runPipeline({
      pipeline: buildOpenvzToKvm(plan),
      plan,
      hosts,
      journal,
      mode,
      sink: (e) => events.push(e),
    });
    return { outcome, events, journal, stateDir: dir };
  } finally {
    await journal.close();
  }
}
