import { describe, expect, it } from "vitest";
import type { JournalData } from "../../src/journal/journal.js";
import { renderStatus } from "../../src/report/status-report.js";
import { cutover, START_SOURCE_COMPENSATION } from "../../src/steps/openvz-to-kvm/cutover.js";
import { startCommand } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import type { DatabaseFact } from "../../src/steps/openvz-to-kvm/facts.js";
import { start } from "../tui/events.js";

// Review: under `cutover: true` status said the source's databases were stopped by the run as if by accident,
// and a live run "starts them again when its freeze ends", which a cutover plan never does.
const at = "2026-12-05T10:48:19.987Z";
const stoppedAt = "2026-12-05T10:49:32.118Z";
const cutoverAt = "2026-12-05T10:52:07.400Z";
const FREEZE = "Stop the databases, final copy, start them on the target only (the source's stay stopped)";
const pipelineStart = start({
  hosts: { source: "198.18.1.2", target: "127.0.0.1:18622" },
  steps: [
    { id: "db-freeze", title: FREEZE, destructive: true, status: "pending" },
    { id: "cutover", title: cutover.title, destructive: true, status: "pending" },
  ],
});
const startDatabases = {
  id: START_SOURCE_COMPENSATION,
  title: "start mariadb.socket, mariadb.service on the source",
  host: "source",
  command: startCommand(["mariadb.socket", "mariadb.service"]),
  registeredBy: "db-freeze",
};
const frozen: DatabaseFact = {
  units: ["mariadb.service"],
  triggers: ["mariadb.socket"],
  stoppedAt,
  leftStoppedOnSource: true,
};
const done = { status: "done" as const, startedAt: at, durationMs: 1_000, attempts: 1 };

/** A cutover plan's run after its freeze, before its cutover: the source left stopped, its undo pending. */
const awaitingCutover: JournalData = {
  version: 1,
  migrationId: "lab",
  kind: "openvz-to-kvm",
  planPath: "/plans/lab.yaml",
  planHash: "h",
  createdAt: at,
  updatedAt: at,
  steps: { "db-freeze": done, cutover: { status: "pending", attempts: 0 } },
  facts: { databases: frozen, freezeWindowSec: 40 },
  compensations: [startDatabases],
  compensationLog: [],
  runs: [{ startedAt: at, mode: "interactive" }],
};
const cutOver: JournalData = {
  ...awaitingCutover,
  steps: { "db-freeze": done, cutover: done },
  facts: { databases: { ...frozen, cutoverAt } satisfies DatabaseFact, freezeWindowSec: 40 },
  compensations: [],
  runs: [{ startedAt: at, mode: "interactive", outcome: "done" }],
};

const leadLine = (journal: JournalData, lockHeld: boolean): string | undefined => {
  const lines = renderStatus(journal, "h", [pipelineStart], { lockHeld }).split("\n");
  return lines[lines.findIndex((l) => l.startsWith("Last run:")) + 1];
};
const UNITS = "mariadb.socket, mariadb.service on the source";

describe("status of a cutover plan's stopped source", () => {
  it("after the cutover: stopped on purpose, since the stop, by the cutover at its time", () => {
    const text = renderStatus(cutOver, "h", [pipelineStart], { lockHeld: false });
    expect(leadLine(cutOver, false)).toBe(
      `${UNITS} are stopped since 10:49:32Z, on purpose: the cutover at 10:52:07Z left them stopped (the VM is production; this migration does not start them again), as far as the journal knows`,
    );
    expect(text).not.toMatch(/STOPPED|stopped by|by hand/);
  });

  it("killed between its freeze and its cutover: left stopped on purpose, and the next run starts them and freezes again", () => {
    expect(leadLine(awaitingCutover, false)).toBe(
      `${UNITS} are STOPPED since 10:49:32Z, on purpose: the plan cuts over (cutover: true), so the killed run left them stopped after its final pass in "${FREEZE}", and it did not reach the cutover, as far as the journal knows: \`mudanza run /plans/lab.yaml\` starts them first, then freezes again; by hand: \`systemctl start -- mariadb.socket mariadb.service\` on 198.18.1.2`,
    );
  });

  it("one unit is said as one", () => {
    const one = {
      ...awaitingCutover,
      facts: { databases: { ...frozen, triggers: [] } },
      compensations: [{ ...startDatabases, command: startCommand(["mariadb.service"]) }],
    };
    expect(leadLine(one, false)).toMatch(
      /^mariadb.service on the source is STOPPED .* left it stopped after .* starts it first/,
    );
  });

  it("a live run between them keeps them stopped through its cutover, not 'until its freeze ends'", () => {
    const line = leadLine(awaitingCutover, true);
    expect(line).toBe(
      `${UNITS} are STOPPED since 10:49:32Z, on purpose: the plan cuts over (cutover: true), so the run in progress left them stopped after its final pass in "${FREEZE}": its cutover step leaves them stopped for good, and a failure before it starts them again`,
    );
  });

  it("a database a killed run stopped in a freeze of a plan without cutover keeps the warning, and a finished one says nothing", () => {
    const noCutover = { ...awaitingCutover, facts: { databases: { ...frozen, leftStoppedOnSource: false } } };
    expect(leadLine(noCutover, false)).toBe(
      `${UNITS} are STOPPED since 10:49:32Z (stopped by the killed run in "${FREEZE}"), as far as the journal knows: \`mudanza run /plans/lab.yaml\` starts them first; by hand: \`systemctl start -- mariadb.socket mariadb.service\` on 198.18.1.2`,
    );
    const finished = {
      ...cutOver,
      facts: { databases: { ...frozen, leftStoppedOnSource: false, startedOnSourceAt: cutoverAt } },
    };
    expect(renderStatus(finished, "h", [pipelineStart], { lockHeld: false })).not.toMatch(/on purpose|stopped since/);
  });
});
