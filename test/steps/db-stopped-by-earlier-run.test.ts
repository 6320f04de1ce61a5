import { describe, expect, it } from "vitest";
import type { Compensation } from "../../src/engine/step.js";
import { Journal } from "../../src/journal/journal.js";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { START_SOURCE_COMPENSATION } from "../../src/steps/openvz-to-kvm/cutover.js";
import { dbFreeze, startCommand } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { OVZ_FACTS, type DatabaseFact } from "../../src/steps/openvz-to-kvm/facts.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { unitsStartedBy } from "../../src/steps/services/start-command.js";
import { loadPair, PAIRS, runOvz } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { stepContext } from "./context.js";

const tempDir = useTempDirs();
const FROZEN = ["mariadb.socket", "mariadb.service"];
const STOPPED_AT = "2026-12-05T10:49:32.118Z";

/** What a run killed inside its freeze leaves in the journal: the undo that starts the source's databases. */
const startDatabases: Compensation = {
  id: START_SOURCE_COMPENSATION,
  title: `start ${FROZEN.join(", ")} on the source`,
  host: "source",
  command: startCommand(FROZEN),
  registeredBy: "db-freeze",
};

/** The Debian pair copied once, then its socket-activated MariaDB stopped as the killed freeze left it. */
async function afterKilledFreeze() {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1 });
  const state = simulate(source, target, {
    family: "debian",
    kernel: PAIRS.debian.kernel,
    passBytes: [0],
    socketActivated: true,
  });
  const copied = stepContext(plan, { source, target });
  await captureTarget.run(copied.ctx, (await captureTarget.probe(copied.ctx)).plan);
  await rsyncStep.run(copied.ctx, (await rsyncStep.probe(copied.ctx)).plan);
  for (const unit of FROZEN) state.units.source.set(unit, false);
  return { plan, source, target, state, facts: copied.facts };
}

// New-user trial 9, finding 4: after a kill -9 in the freeze the dry run blamed the plan for the stopped database.
describe("a dry run after a run killed in its freeze", () => {
  it("says the earlier run stopped the database and the run starts it first, and plans the freeze with it", async () => {
    const { plan, source, target, facts } = await afterKilledFreeze();
    const { ctx } = stepContext(plan, { source, target }, facts, [startDatabases]);
    const probe = await dbFreeze.probe(ctx);
    const titles = probe.findings.map((f) => f.title);
    expect(titles).not.toContain("No running database found");
    const stopped = probe.findings.find((f) => f.title === "Database stopped by an earlier run");
    expect(stopped?.summary).toMatch(/^mariadb\.service on the source is stopped now: an earlier run/);
    expect(stopped?.summary).toContain("The run starts it again first");
    expect(stopped?.remediation).toContain("systemctl start -- mariadb.socket mariadb.service");
    expect(probe.plan).toMatchObject({
      kind: "freeze",
      units: ["mariadb.service"],
      freeze: { services: ["mariadb.service"], triggers: ["mariadb.socket"] },
    });
  });

  it("gives the stop's time when the journal recorded it, as status does (review)", async () => {
    const { plan, source, target, facts } = await afterKilledFreeze();
    const summary = async (record: DatabaseFact) => {
      const { ctx } = stepContext(plan, { source, target }, { ...facts, databases: record }, [startDatabases]);
      const probe = await dbFreeze.probe(ctx);
      return probe.findings.find((f) => f.title === "Database stopped by an earlier run")?.summary;
    };
    const frozen = { units: ["mariadb.service"], triggers: ["mariadb.socket"], leftStoppedOnSource: false };
    expect(await summary({ ...frozen, stoppedAt: STOPPED_AT })).toContain(
      `an earlier run of this plan stopped it for its freeze at ${STOPPED_AT} and did not start it again (it was killed, or its undo failed)`,
    );
    // a cutover plan's freeze left it stopped on purpose, for a cutover the run did not reach
    expect(await summary({ ...frozen, stoppedAt: STOPPED_AT, leftStoppedOnSource: true })).toContain(
      `stopped it for its freeze at ${STOPPED_AT} and left it stopped for the cutover (cutover: true), which it did not reach`,
    );
    // killed before it recorded the stop: no time, rather than a wrong one
    expect(await summary(frozen)).toContain("stopped it for its freeze and did not start it again");
  });

  it("without that pending undo a stopped database is still the plan's to name", async () => {
    const { plan, source, target, facts } = await afterKilledFreeze();
    const probe = await dbFreeze.probe(stepContext(plan, { source, target }, facts).ctx);
    expect(probe.findings.map((f) => f.title)).toContain("No running database found");
    expect(probe.findings.map((f) => f.title)).not.toContain("Database stopped by an earlier run");
  });

  it("the runner gives a dry run's probes the journal's pending undo (a real run has run it first)", async () => {
    const { plan, source, target, state } = await afterKilledFreeze();
    const stateDir = await tempDir("mudanza-db-stopped-");
    const journal = await Journal.open({
      stateDir,
      migrationId: plan.name ?? "ovz",
      kind: plan.kind,
      planPath: "plan.yaml",
      planHash: "h",
    });
    await journal.addCompensation(startDatabases);
    const record: DatabaseFact = { units: ["mariadb.service"], stoppedAt: STOPPED_AT, leftStoppedOnSource: false };
    await journal.setFact(OVZ_FACTS.databases.key, record);
    await journal.close();
    const dry = await runOvz(plan, { source, target }, "dry-run", stateDir);
    const warnings = dry.outcome.findings.map((f) => f.title);
    expect(warnings).toContain("Database stopped by an earlier run");
    expect(dry.outcome.findings.find((f) => f.title === "Database stopped by an earlier run")?.summary).toContain(
      `for its freeze at ${STOPPED_AT}`,
    );
    expect(warnings).not.toContain("No running database found");
    expect(state.units.source.get("mariadb.service")).toBe(false); // the dry run started nothing
  });
});

describe("unitsStartedBy", () => {
  it("reads back the units of a startCommand, and nothing of any other command", () => {
    expect(unitsStartedBy(startCommand(["mariadb.service", "odd name.service"]))).toEqual([
      "mariadb.service",
      "odd name.service",
    ]);
    expect(unitsStartedBy("systemctl start -- a.service && rm -rf /")).toBeUndefined();
    expect(unitsStartedBy("systemctl stop -- a.service")).toBeUndefined();
    expect(unitsStartedBy(startCommand([]))).toBeUndefined();
  });
});
