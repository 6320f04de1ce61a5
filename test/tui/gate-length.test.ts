import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Finding, PipelineEvent } from "../../src/engine/events.js";
import { runPipeline } from "../../src/engine/runner.js";
import { Journal } from "../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";
import { gateLines, toRows } from "../../src/tui/panels.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";

type Prompt = Extract<PipelineEvent, { type: "prompt" }>;

/** Every gate of a --yes run on the scripted Debian pair (three live passes, a short freeze), as the TUI draws it. */
const gates = new Map<string, { prompt: Prompt; findings: Finding[] }>();
let stateDir = "";
beforeAll(async () => {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 3 });
  source.putDir("/var/lib/mysql", 0o700);
  simulate(source, target, {
    family: "debian",
    kernel: PAIRS.debian.kernel,
    passBytes: [900_000_000, 40_000_000, 52_000_000],
  });
  stateDir = await mkdtemp(join(tmpdir(), "mudanza-gate-length-"));
  const journal = await Journal.open({
    stateDir,
    migrationId: "gate-length",
    kind: "openvz-to-kvm",
    planPath: "plan.yaml",
    planHash: "h",
    readOnly: false,
  });
  const findings = new Map<string, Finding[]>();
  const sink = (event: PipelineEvent): void => {
    if (event.type === "step-probed") findings.set(event.stepId, event.findings);
    if (event.type === "prompt") gates.set(event.stepId, { prompt: event, findings: findings.get(event.stepId) ?? [] });
  };
  try {
    const outcome = await runPipeline({
      pipeline: buildOpenvzToKvm(plan),
      plan,
      hosts: { source, target },
      journal,
      mode: "yes",
      sink,
    });
    expect(outcome.status).toBe("done");
  } finally {
    await journal.close();
  }
});
afterAll(async () => {
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const rowsOf = (stepId: string): string[] => {
  const gate = gates.get(stepId)!;
  return toRows(gateLines(gate.prompt, gate.findings), 79).map((r) => r.text);
};
const count = (text: string, part: string): number => text.split(part).length - 1;

describe("a gate a person can read at 2 a.m. (new-user trial 9, smaller things)", () => {
  it("the freeze and copy gates show the copy's lock-and-rsync shell once, not once per pass", () => {
    for (const stepId of ["rsync", "db-freeze"]) {
      const text = rowsOf(stepId).join("\n").replace(/\n +/g, " ");
      expect(count(text, "cannot create the copy's lock file"), stepId).toBe(1);
      expect(count(text, "mudanza_rsync() {"), stepId).toBe(1);
    }
    // The freeze gate's planned commands hold four rsyncs: the gate was 347 rows at 80 columns.
    expect(gates.get("db-freeze")!.prompt.commands.filter((c) => c.command.includes("exec rsync"))).toHaveLength(4);
    // 347 rows at 80 columns before, 155 after: the first rsync whole but its 54 excludes, the others as differences.
    expect(rowsOf("db-freeze").length).toBeLessThanOrEqual(160);
    // Where the rest is: the f key, and the run's log.
    expect(rowsOf("db-freeze").join(" ")).toMatch(/Shortened: …\(1\)… stands for words the same as in command \(1\)/);
  });

  it("the f key's gate shows every command whole, as the step runs it", () => {
    for (const [stepId, { prompt, findings }] of gates) {
      const whole = gateLines(prompt, findings, [], true).map((l) => l.text);
      for (const c of prompt.commands) expect(whole, stepId).toContain(`  $ ${c.command}`);
      expect(whole.join("\n"), stepId).not.toContain("Shortened:");
    }
  });

  it("says the same fact once: the first gate's 'No checkpoints' warning has no 'no checkpoint' detail beside it", () => {
    const text = rowsOf("pre-update").join("\n");
    expect(text).toContain("No checkpoints");
    expect(count(text, "nothing can undo")).toBe(1);
    // Later gates have no such warning: their detail still says it.
    expect(rowsOf("db-freeze").join("\n")).toContain("warning: no checkpoint, nothing can undo this on the target");
  });
});
