import { describe, expect, it } from "vitest";
import type { JournalData } from "../../src/journal/journal.js";
import { renderRunReportMarkdown } from "../../src/report/run-report.js";
import { summarizeRun } from "../../src/report/run-summary.js";
import { renderStatus } from "../../src/report/status-report.js";
import { start } from "../tui/events.js";

const t = (s: number) => `2026-12-05T10:00:${String(s).padStart(2, "0")}.000Z`;
const gaveBack = "gave /srv/base.qcow2 back its mode 644 (no clone of it found)";
const pipelineStart = start({
  steps: [
    { id: "protect-base", title: "Make the base read-only", destructive: true, status: "pending" },
    { id: "create-overlays", title: "Create the clones", destructive: true, status: "pending" },
  ],
});

/** A clone run that failed at its second step, whose undo gave the base its mode back. */
const failed: JournalData = {
  version: 1,
  migrationId: "image-clone-1",
  kind: "image-clone",
  planPath: "(arguments) mudanza image clone /srv/base.qcow2 --count 2",
  planHash: "h",
  createdAt: t(0),
  updatedAt: t(9),
  steps: {
    "protect-base": {
      status: "done",
      startedAt: t(1),
      endedAt: t(2),
      attempts: 1,
      checks: [{ name: "base is read-only", ok: true, detail: "mode 444" }],
    },
    "create-overlays": { status: "failed", startedAt: t(3), endedAt: t(5), message: "qemu-img failed", attempts: 1 },
  },
  facts: {},
  compensations: [],
  compensationLog: [
    {
      id: "restore-mode",
      title: "give the base its mode back",
      ok: true,
      at: t(6),
      outcome: gaveBack,
      registeredBy: "protect-base",
    },
  ],
  runs: [{ startedAt: t(0), endedAt: t(9), mode: "yes", outcome: "failed" }],
};

describe("a done step whose change the undo reverted (new-user trial 8, finding 6)", () => {
  it("status shows it undone, with what the undo did, not done", () => {
    const text = renderStatus(failed, "h", [pipelineStart]);
    expect(text).toMatch(
      new RegExp(`↺ undone +Make the base read-only .*done, then undone: ${gaveBack.replace(/[()]/g, "\\$&")}`),
    );
    expect(text).not.toMatch(/✔ done +Make the base read-only/);
  });

  it("the report's timeline and Verified section do not say its check still holds", () => {
    const md = renderRunReportMarkdown(summarizeRun(failed, [pipelineStart]));
    expect(md).toContain(`| undone |`);
    expect(md).toContain(`- Make the base read-only (undone since: ${gaveBack}):`);
    expect(md).toContain("  - held until the undo: base is read-only (mode 444)");
    expect(md).not.toContain("  - ok: base is read-only");
  });

  it("stays done when the undo did not run (only said), or the step was done again after it", () => {
    const said = {
      ...failed,
      compensationLog: [{ ...failed.compensationLog[0]!, notRun: true }],
    };
    expect(renderStatus(said, "h", [pipelineStart])).toMatch(/✔ done +Make the base read-only/);
    const redone = {
      ...failed,
      steps: { ...failed.steps, "protect-base": { ...failed.steps["protect-base"]!, startedAt: t(7), endedAt: t(8) } },
    };
    expect(renderStatus(redone, "h", [pipelineStart])).toMatch(/✔ done +Make the base read-only/);
    // an undo that kept the change (a clone stands on the base): it still holds
    const kept = {
      ...failed,
      compensationLog: [{ ...failed.compensationLog[0]!, outcome: "stays read-only: lab1 stands on it", kept: true }],
    };
    expect(renderStatus(kept, "h", [pipelineStart])).toMatch(/✔ done +Make the base read-only/);
    // an older journal's log names no step: nothing is claimed
    const older = { ...failed, compensationLog: [{ ...failed.compensationLog[0]!, registeredBy: undefined }] };
    expect(renderStatus(older, "h", [pipelineStart])).toMatch(/✔ done +Make the base read-only/);
  });
});
