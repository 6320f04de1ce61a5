import { describe, expect, it } from "vitest";
import type { JournalData } from "../../src/journal/journal.js";
import { renderRunReportMarkdown } from "../../src/report/run-report.js";
import { summarizeRun } from "../../src/report/run-summary.js";
import { renderStatus } from "../../src/report/status-report.js";

const at = "2026-12-05T10:00:00.000Z";
const note = "/srv/base.qcow2 stays read-only: the run that made it so was killed";

/** A killed clone run: three undo actions pending, registered in this order. */
const killed: JournalData = {
  version: 1,
  migrationId: "image-clone-1",
  kind: "image-clone",
  planPath: "(arguments) mudanza image clone /srv/base.qcow2 --count 2",
  planHash: "h",
  createdAt: at,
  updatedAt: at,
  steps: { "protect-base": { status: "done", attempts: 1 }, "create-overlays": { status: "running", attempts: 1 } },
  facts: {},
  compensations: [
    {
      id: "restore-mode",
      title: "give the base its mode back",
      host: "local",
      command: "chmod 0644 -- /srv/base.qcow2",
      registeredBy: "protect-base",
      notInALaterRun: note,
    },
    { id: "lab1", title: "remove lab1", host: "local", command: "rm -f -- /srv/lab1.qcow2", registeredBy: "c" },
    { id: "lab2", title: "remove lab2", host: "local", command: "rm -f -- /srv/lab2.qcow2", registeredBy: "c" },
  ],
  compensationLog: [],
  runs: [{ startedAt: at, mode: "yes" }],
};

describe("pending undo actions as the next run does them (new-user trial 8, finding 5)", () => {
  it("status lists them newest first, and one a later run only reports as not run", () => {
    const text = renderStatus(killed, "h", [], { lockHeld: false });
    const listed = text.slice(text.indexOf("PENDING compensations")).split("\n").slice(1);
    expect(listed).toEqual([
      "  on local: remove lab2: rm -f -- /srv/lab2.qcow2",
      "  on local: remove lab1: rm -f -- /srv/lab1.qcow2",
      `  on local: give the base its mode back: not run by the next run, which only says: ${note}`,
    ]);
    expect(text).not.toContain("chmod 0644");
  });

  it("the report lists them in that order too, and an undo a later run did not run is not 'done'", () => {
    const md = renderRunReportMarkdown(summarizeRun(killed, []));
    const pending = md.split("\n").filter((l) => l.startsWith("- PENDING"));
    expect(pending.map((l) => /remove lab\d|give the base/.exec(l)?.[0])).toEqual([
      "remove lab2",
      "remove lab1",
      "give the base",
    ]);
    expect(pending[2]).toContain("not run by the next run");
    const resumed: JournalData = {
      ...killed,
      compensations: [],
      compensationLog: [
        { id: "lab2", title: "remove lab2", ok: true, at },
        { id: "restore-mode", title: "give the base its mode back", ok: true, at, outcome: note, notRun: true },
      ],
    };
    const lines = renderRunReportMarkdown(summarizeRun(resumed, [])).split("\n");
    expect(lines).toContain(`- done ${at}: remove lab2`);
    expect(lines).toContain(`- not run ${at}: give the base its mode back: ${note}`);
  });
});
