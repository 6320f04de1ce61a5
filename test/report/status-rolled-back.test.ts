import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import type { JournalData } from "../../src/journal/journal.js";
import { runRow, runState } from "../../src/report/runs-list.js";
import { renderStatus } from "../../src/report/status-report.js";

const runAt = "2026-12-05T11:09:23.585Z";
const rolledBackAt = "2026-12-05T11:16:28.026Z";
const note = `rolled back to checkpoint mz-before-copy at ${rolledBackAt}`;

/** A migration whose run ended done, then `mudanza rollback` rewound its journal to the checkpoint before the copy. */
const rolledBack: JournalData = {
  version: 1,
  migrationId: "labcp",
  kind: "openvz-to-kvm",
  planPath: "/plans/labcp.yaml",
  planHash: "h",
  createdAt: runAt,
  updatedAt: rolledBackAt,
  steps: {
    "capture-target": { status: "done", startedAt: runAt, durationMs: 10, attempts: 1 },
    "checkpoint-before-copy": { status: "pending", attempts: 0, message: note },
    rsync: { status: "pending", attempts: 0, message: note },
  },
  facts: {},
  compensations: [],
  compensationLog: [],
  runs: [{ startedAt: runAt, endedAt: "2026-12-05T11:15:29.000Z", mode: "yes", outcome: "done" }],
};
const doneEnd: PipelineEvent = { type: "pipeline-end", at: "2026-12-05T11:15:29.000Z", status: "done" };
const stateDirs = { now: "/state", default: "/state" };

describe("status and runs after a rollback of a done run (new-user trial 9, finding 3)", () => {
  it("status says the run was rolled back since, that the migration is unfinished, and how to continue", () => {
    const text = renderStatus(rolledBack, "h", [doneEnd], { lockHeld: false, stateDirs });
    expect(text).toContain(
      `Last run: with --yes, started ${runAt}, done, then rolled back to checkpoint mz-before-copy at ${rolledBackAt}: the migration is unfinished`,
    );
    expect(text).toContain("Continue with: mudanza run /plans/labcp.yaml\n");
  });

  it("names the state dir the journal is read from, as every resume advice does", () => {
    const text = renderStatus(rolledBack, "h", [doneEnd], {
      lockHeld: false,
      stateDirs: { now: "/elsewhere", default: "/state" },
    });
    expect(text).toContain("Continue with: mudanza run /plans/labcp.yaml --state-dir /elsewhere");
  });

  it("offers no command a changed plan would refuse", () => {
    const text = renderStatus(rolledBack, "other", [doneEnd], { lockHeld: false, stateDirs });
    expect(text).toContain("Continuing would be refused: the plan changed since it started");
    expect(text).not.toContain("Continue with");
  });

  it("runs lists it as rolled back, not done", () => {
    expect(runState(rolledBack, false)).toBe("rolled back");
    const row = runRow({ stem: "labcp", path: "/state/labcp.journal.json", data: rolledBack }, false);
    expect(row.state).toBe("rolled back");
  });

  it("a run after the rollback is the migration's state again", () => {
    const resumed: JournalData = {
      ...rolledBack,
      runs: [...rolledBack.runs, { startedAt: "2026-12-05T11:20:00.000Z", mode: "yes", outcome: "failed" }],
    };
    expect(runState(resumed, false)).toBe("failed");
    expect(renderStatus(resumed, "h", [], { lockHeld: false })).not.toContain("then rolled back");
  });
});

describe("a step run again after a rollback (new-user trial 9, finding 9)", () => {
  it("drops the rollback note once the step started again, and keeps it on the steps still pending", () => {
    const rerun: JournalData = {
      ...rolledBack,
      steps: {
        ...rolledBack.steps,
        "checkpoint-before-copy": { status: "done", startedAt: "2026-12-05T11:20:05.000Z", attempts: 1 },
        // the runner marks a step running with its record as it was, note included
        rsync: { status: "running", startedAt: "2026-12-05T11:20:24.000Z", attempts: 1, message: note },
      },
      runs: [...rolledBack.runs, { startedAt: "2026-12-05T11:20:00.000Z", mode: "yes" }],
    };
    const text = renderStatus(rerun, "h", [], { lockHeld: true });
    expect(text).toMatch(/▶ running +rsync +11:20:24Z *\n/);
    expect(text).not.toContain("rolled back to checkpoint");
    expect(renderStatus(rolledBack, "h", [], { lockHeld: false })).toMatch(
      /○ pending +rsync .*rolled back to checkpoint/,
    );
  });
});
