import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import type { JournalData } from "../../src/journal/journal.js";
import { renderStatus } from "../../src/report/status-report.js";
import { start } from "../tui/events.js";

const at = "2026-12-04T08:22:43.262Z";
const pipelineStart = start({
  steps: [
    { id: "checkpoint-before-update", title: "Checkpoint before the update", destructive: false, status: "pending" },
    { id: "pre-update", title: "Update and reboot both hosts", destructive: true, status: "pending" },
  ],
});
const prompt: PipelineEvent = {
  type: "prompt",
  at,
  stepId: "pre-update",
  title: "Update and reboot both hosts",
  commands: [{ host: "source", command: "apt-get update", purpose: "refresh the package lists" }],
  details: [],
};
/** A live interactive run (no outcome yet) whose pre-update step the runner marked running before asking. */
const journal: JournalData = {
  version: 1,
  migrationId: "web1",
  kind: "openvz-to-kvm",
  planPath: "/plans/web1.yaml",
  planHash: "h",
  createdAt: at,
  updatedAt: at,
  steps: {
    "checkpoint-before-update": { status: "done", durationMs: 10, attempts: 1 },
    "pre-update": { status: "running", startedAt: at, attempts: 1 },
  },
  facts: {},
  compensations: [],
  compensationLog: [],
  runs: [{ startedAt: at, mode: "interactive" }],
};

describe("status of a run waiting at a gate (found by a new-user trial: it said running)", () => {
  it("says the live run waits for an answer at that step's gate, and marks the step so", () => {
    const text = renderStatus(journal, "h", [pipelineStart, prompt], { lockHeld: true });
    expect(text).toContain(
      `Last run: interactive, started ${at}, waiting at the gate of "Update and reboot both hosts" since ${at} for an answer in that run's terminal (nothing of that step has run)`,
    );
    expect(text).toMatch(/\? at gate +Update and reboot both hosts/);
    expect(text).not.toContain("▶ running");
  });

  it("says running once the gate was answered, and killed when no live run holds the lock", () => {
    const answered: PipelineEvent = { type: "prompt-answer", at, stepId: "pre-update", accepted: true, by: "user" };
    expect(renderStatus(journal, "h", [pipelineStart, prompt, answered], { lockHeld: true })).toContain(
      "running (a live mudanza holds its lock)",
    );
    const killed = renderStatus(journal, "h", [pipelineStart, prompt], { lockHeld: false });
    expect(killed).toContain("killed (it ended without recording an outcome");
    expect(killed).not.toContain("at gate");
    // ...and that it was killed while it asked, so nothing of that step ran (it is journaled running)
    expect(killed).toContain(`while it asked at the gate of "Update and reboot both hosts" (nothing of that step ran)`);
    expect(killed).toMatch(/■ stopped +Update and reboot both hosts .*killed at its confirmation; nothing of it ran/);
    expect(killed).not.toContain("▶ running");
  });
});
