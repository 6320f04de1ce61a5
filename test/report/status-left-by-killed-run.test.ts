import { describe, expect, it } from "vitest";
import type { JournalData } from "../../src/journal/journal.js";
import { renderStatus } from "../../src/report/status-report.js";
import { START_SOURCE_COMPENSATION } from "../../src/steps/openvz-to-kvm/cutover.js";
import { dbFreeze, startCommand } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { OVZ_FACTS } from "../../src/steps/openvz-to-kvm/facts.js";
import { DATABASES_FACT, FREEZE_STEP, PROOF_FACT } from "../../src/steps/openvz-to-kvm/services-stop.js";
import { RSYNC_LOCK } from "../../src/steps/openvz-to-kvm/sync.js";
import { end, start } from "../tui/events.js";

const at = "2026-12-05T10:48:19.987Z";
const freezeBegan = "2026-12-05T10:49:13.402Z";
const COPY = "Copy the source's root onto the target (live passes)";
const FREEZE = "Stop the databases, final copy, start them again";
const pipelineStart = start({
  hosts: { source: "198.18.1.2", target: "127.0.0.1:18622" },
  steps: [
    { id: "rsync", title: COPY, destructive: true, status: "pending" },
    { id: "db-freeze", title: FREEZE, destructive: true, status: "pending" },
  ],
});
const revokeKey = {
  id: "revoke-migration-key-source",
  title: "remove the migration key from the source",
  host: "source",
  command: "rm -rf /root/.mudanza-migrate",
  registeredBy: "rsync",
};
const startDatabases = {
  id: START_SOURCE_COMPENSATION,
  title: "start mariadb.socket, mariadb.service on the source",
  host: "source",
  command: startCommand(["mariadb.socket", "mariadb.service"]),
  registeredBy: "db-freeze",
};

/** A run killed (kill -9) in its freeze: the database's undo pending, the freeze step journaled running. */
const killedInFreeze: JournalData = {
  version: 1,
  migrationId: "lab",
  kind: "openvz-to-kvm",
  planPath: "/plans/lab.yaml",
  planHash: "h",
  createdAt: at,
  updatedAt: at,
  steps: {
    rsync: { status: "done", startedAt: at, durationMs: 40_000, attempts: 1 },
    "db-freeze": { status: "running", startedAt: freezeBegan, attempts: 1 },
  },
  facts: {},
  compensations: [revokeKey, startDatabases],
  compensationLog: [],
  runs: [{ startedAt: at, mode: "interactive" }],
};
const dirs = { now: "/state", default: "/state" };

// New-user trial 9, finding 4: the stopped database was only the last of the pending compensations, and the
// time status gave was the freeze step's start, not the stop's.
describe("status after a run killed in its freeze", () => {
  const stoppedAt = "2026-12-05T10:49:32.118Z";
  const stopRecorded: JournalData = {
    ...killedInFreeze,
    facts: {
      databases: { units: ["mariadb.service"], triggers: ["mariadb.socket"], stoppedAt, leftStoppedOnSource: false },
    },
  };
  const leadLine = (journal: JournalData, context = {}) => {
    const lines = renderStatus(journal, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs, ...context }).split(
      "\n",
    );
    return lines[lines.findIndex((l) => l.startsWith("Last run:")) + 1];
  };
  const BY_HAND =
    "`mudanza run /plans/lab.yaml` starts them first; by hand: `systemctl start -- mariadb.socket mariadb.service` on 198.18.1.2";

  it("leads with the stopped database: since when it is stopped, what starts it, and how by hand on which host", () => {
    const text = renderStatus(stopRecorded, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs });
    const lines = text.split("\n");
    const lastRun = lines.findIndex((l) => l.startsWith("Last run:"));
    expect(lines[lastRun + 1]).toBe(
      `mariadb.socket, mariadb.service on the source are STOPPED since 10:49:32Z (stopped by the killed run in "${FREEZE}"), as far as the journal knows: ${BY_HAND}`,
    );
    expect(lines.indexOf("Timeline:")).toBeGreaterThan(lastRun + 1);
    expect(text).toContain(
      "Freeze window: began 10:49:32Z (when the databases were stopped), not ended: the run was killed in it",
    );
    expect(text).not.toContain("Freeze window: not recorded yet");
  });

  it("without the stop's time (killed before it recorded it), the step's start as the earliest it can be", () => {
    expect(leadLine(killedInFreeze)).toBe(
      `mariadb.socket, mariadb.service on the source are STOPPED since 10:49:13Z at the earliest (stopped by the killed run in "${FREEZE}", which began then; the journal has no time of the stop itself), as far as the journal knows: ${BY_HAND}`,
    );
    const text = renderStatus(killedInFreeze, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs });
    expect(text).toContain(
      `Freeze window: began 10:49:13Z at the earliest (when "${FREEZE}" began; the stop's own time was not recorded), not ended: the run was killed in it`,
    );
  });

  it("started again on the source (killed after the thaw, in the proof): not stopped", () => {
    const thawed: JournalData = {
      ...stopRecorded,
      facts: {
        databases: {
          units: ["mariadb.service"],
          stoppedAt,
          startedOnSourceAt: "2026-12-05T10:49:45.500Z",
          leftStoppedOnSource: false,
        },
      },
    };
    expect(leadLine(thawed)).toBe(
      "mariadb.socket, mariadb.service on the source were stopped at 10:49:32Z and started again at 10:49:45Z by the killed run, as far as the journal knows; the pending undo starts them again, which changes nothing for running units",
    );
    const text = renderStatus(thawed, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs });
    expect(text).not.toContain("STOPPED");
    expect(text).toContain(`Freeze window: 10:49:32Z to 10:49:45Z (13.4 s); "${FREEZE}" did not finish`);
    // ...unless the step was redoing its freeze: then they may be stopped again, since the thaw at the earliest
    const redoing = { ...thawed, facts: { ...thawed.facts, freezeProof: { redo: "under way" } } };
    expect(leadLine(redoing)).toMatch(
      /^mariadb.socket, mariadb.service on the source are perhaps STOPPED again since 10:49:45Z at the earliest/,
    );
  });

  it("names the state dir in the command when it is not the default one", () => {
    const text = renderStatus(killedInFreeze, "h", [pipelineStart], {
      lockHeld: false,
      stateDirs: { now: "/runs/x/state", default: "/state" },
    });
    expect(text).toContain("`mudanza run /plans/lab.yaml --state-dir /runs/x/state` starts them first");
  });

  it("says nothing of the kind once the undo ran, and the run in progress keeps its freeze open", () => {
    const started = { ...stopRecorded, compensations: [revokeKey] };
    const text = renderStatus(started, "h", [pipelineStart], { lockHeld: false });
    expect(text).not.toMatch(/STOPPED|stopped by/);
    expect(text).toContain("Freeze window: not recorded yet");
    const live = renderStatus(stopRecorded, "h", [pipelineStart], { lockHeld: true });
    expect(live).toContain("STOPPED since 10:49:32Z (stopped by the run in progress");
    expect(live).toContain("still open");
    expect(live).not.toContain("by hand");
  });

  it("reads the facts db-freeze writes, under the names it writes them", () => {
    expect(FREEZE_STEP).toBe(dbFreeze.id);
    expect([DATABASES_FACT, PROOF_FACT]).toEqual([OVZ_FACTS.databases.key, OVZ_FACTS.freezeProof.key]);
  });
});

// New-user trial 9, finding 5: status said nothing of the rsync a kill in the copy leaves on the source.
describe("status after a run killed in a copy step", () => {
  const killedInCopy: JournalData = {
    ...killedInFreeze,
    steps: { rsync: { status: "running", startedAt: at, attempts: 1 } },
    compensations: [revokeKey],
  };

  it("says a copy may still be running on the source, under which lock, and that the next run stops it", () => {
    const text = renderStatus(killedInCopy, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs });
    const lines = text.split("\n");
    const lastRun = lines.findIndex((l) => l.startsWith("Last run:"));
    expect(lines[lastRun + 1]).toBe(
      `A copy may still be running on the source: the run was killed in "${COPY}", whose rsync (holding ${RSYNC_LOCK}, its pid in ${RSYNC_LOCK}.pid) does not end with the run and may still be writing into the target; the next run stops it before it copies (\`mudanza run /plans/lab.yaml --dry-run\` names its pid)`,
    );
  });

  it("not for a live run, a run that ended, or one killed while it asked at the copy's gate", () => {
    expect(renderStatus(killedInCopy, "h", [pipelineStart], { lockHeld: true })).not.toContain("A copy may");
    const ended = { ...killedInCopy, runs: [{ startedAt: at, mode: "yes", outcome: "failed" }] };
    expect(renderStatus(ended, "h", [pipelineStart], { lockHeld: false })).not.toContain("A copy may");
    const prompt = {
      type: "prompt" as const,
      at,
      stepId: "rsync",
      title: COPY,
      commands: [],
      details: [],
    };
    expect(renderStatus(killedInCopy, "h", [pipelineStart, prompt], { lockHeld: false })).not.toContain("A copy may");
  });
});

// New-user trial 9, finding 4: a killed run's status said "run the plan again to resume" with no command to paste.
describe("the advice after a killed run", () => {
  const advice = (text: string) => text.split("\n").filter((l) => /^(Continu|Resum)/.test(l));

  it("ends with the command that continues it, as the other advice lines write it", () => {
    const text = renderStatus(killedInFreeze, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs });
    expect(advice(text)).toEqual(["Continue with: mudanza run /plans/lab.yaml"]);
    const elsewhere = renderStatus(killedInFreeze, "h", [pipelineStart], {
      lockHeld: false,
      stateDirs: { now: "/runs/x/state", default: "/state" },
    });
    expect(advice(elsewhere)).toEqual(["Continue with: mudanza run /plans/lab.yaml --state-dir /runs/x/state"]);
  });

  it("not an earlier run's advice the log still holds, nor a command a changed plan would refuse", () => {
    const earlier = end(0, "failed", { resumeCommand: "mudanza run /plans/lab.yaml --yes" });
    const twoRuns: JournalData = {
      ...killedInFreeze,
      runs: [{ startedAt: at, mode: "yes", outcome: "failed" }, ...killedInFreeze.runs],
    };
    const text = renderStatus(twoRuns, "h", [pipelineStart, earlier, pipelineStart], {
      lockHeld: false,
      stateDirs: dirs,
    });
    expect(advice(text)).toEqual(["Continue with: mudanza run /plans/lab.yaml"]);
    const changed = renderStatus(killedInFreeze, "other", [pipelineStart], { lockHeld: false, stateDirs: dirs });
    expect(advice(changed)).toEqual([
      "Continuing would be refused: the plan changed since it started; restore the plan, or start over with --restart",
    ]);
  });

  it("after a killed --yes run, says how to go on without asking as that run did (new-user trial 11)", () => {
    const unattended: JournalData = { ...killedInFreeze, runs: [{ startedAt: at, mode: "yes" }] };
    const lines = renderStatus(unattended, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs }).split("\n");
    const continueLine = lines.indexOf("Continue with: mudanza run /plans/lab.yaml");
    expect(continueLine).toBeGreaterThan(0);
    expect(lines[continueLine + 1]).toBe(
      "  (it asks at each gate again; the last run had --yes: add it to go on without asking, as from cron)",
    );
    // an interactive run's status has no such line
    expect(renderStatus(killedInFreeze, "h", [pipelineStart], { lockHeld: false, stateDirs: dirs })).not.toContain(
      "the last run had --yes",
    );
  });

  it("none while the run may still be going", () => {
    expect(advice(renderStatus(killedInFreeze, "h", [pipelineStart], { lockHeld: true }))).toEqual([]);
    expect(advice(renderStatus(killedInFreeze, "h", [pipelineStart], {}))).toEqual([]);
  });
});
