import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { FACT } from "../../src/steps/openvz-to-kvm/plan.js";
import { unitsThatRan } from "../../src/steps/services/freeze-units.js";
import type { DatabaseFact } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { loadPair, PAIRS, runOvz } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

/**
 * The freeze must hold: a database that something starts again while the final pass reads its files
 * acknowledges writes the target never gets (seen in the lab: mariadb.socket restarted MariaDB on the
 * writer's next connect, and 24 acknowledged rows were lost).
 */
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function run(
  options: {
    socketActivated?: boolean;
    startDatabaseDuringPass?: boolean;
    cutover?: boolean;
    failInstallOnce?: boolean;
  },
  stateDir?: string,
) {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, {
    maxLivePasses: 1,
    cutover: options.cutover ?? false,
  });
  const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [0], ...options });
  const result = await runOvz(plan, { source, target }, "yes", stateDir);
  if (!stateDir) dirs.push(result.stateDir);
  return { ...result, state, source, target, plan };
}

const freezeRecord = (facts: Record<string, unknown>) => facts[FACT.databases] as DatabaseFact;

describe("db-freeze with a socket-activated database", () => {
  it("stops the socket with the service, so the final pass copies a database nothing restarted, then starts both", async () => {
    const { outcome, journal, state, source } = await run({ socketActivated: true });
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    expect(freezeRecord(journal.snapshot.facts).triggers).toEqual(["mariadb.socket"]);
    const stops = source.log
      .filter((e) => e.kind === "exec" && /^systemctl stop /.test(e.command))
      .map((e) => (e as { command: string }).command);
    expect(stops).toEqual(["systemctl stop -- mariadb.socket mariadb.service"]);
    // started once at the thaw, never during the final pass
    expect(state.activations.source.get("mariadb.service")).toBe(1);
    expect(state.units.source.get("mariadb.socket")).toBe(true);
    expect(state.units.source.get("mariadb.service")).toBe(true);
  });
});

describe("db-freeze when something outside the freeze starts the database during the final pass", () => {
  it("fails the step instead of trusting the copy, and the source's database runs again", async () => {
    const { outcome, state, journal } = await run({ startDatabaseDuringPass: true });
    expect(exitCodeForRun(outcome)).toBe(1);
    expect(outcome.message).toMatch(/mariadb\.service \(active\) ran through the final pass/);
    expect(state.units.source.get("mariadb.service")).toBe(true);
    expect(journal.snapshot.compensations).toEqual([]);
  });
});

describe("cutover is the last step", () => {
  it("a failure after the final pass starts the source's databases again and records no cutover", async () => {
    const first = await run({ cutover: true, failInstallOnce: true });
    expect(exitCodeForRun(first.outcome)).toBe(1);
    expect(first.outcome.message).toMatch(/kernel|install/i);
    expect(first.state.units.source.get("mariadb.service")).toBe(true);
    expect(freezeRecord(first.journal.snapshot.facts).cutoverAt).toBeUndefined();
  });

  it("after such a failure the re-run freezes again (the source ran since), then cuts over and leaves the source stopped", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1, cutover: true });
    const state = simulate(source, target, {
      family: "debian",
      kernel: PAIRS.debian.kernel,
      passBytes: [0],
      failInstallOnce: true,
    });
    const first = await runOvz(plan, { source, target }, "yes");
    dirs.push(first.stateDir);
    expect(exitCodeForRun(first.outcome)).toBe(1);
    const finalPasses = () => state.passes.length;
    const before = finalPasses();
    const second = await runOvz(plan, { source, target }, "yes", first.stateDir);
    expect(exitCodeForRun(second.outcome), second.outcome.message).toBe(0);
    expect(finalPasses()).toBeGreaterThan(before);
    expect(state.units.source.get("mariadb.service")).toBe(false);
    expect(state.units.target.get("mariadb.service")).toBe(true);
    expect(freezeRecord(second.journal.snapshot.facts).cutoverAt).toMatch(/^\d{4}-/);
    expect(second.journal.snapshot.compensations).toEqual([]);
  });
});

describe("unitsThatRan", () => {
  const stamp = (id: string, activeState: string, activeEnter: string) => ({ id, activeState, activeEnter });
  it("names a unit active now, or activated and stopped again since the first reading", () => {
    const before = [
      stamp("a.service", "inactive", "100"),
      stamp("b.socket", "inactive", "200"),
      stamp("c.service", "failed", "300"),
    ];
    expect(unitsThatRan(before, before)).toEqual([]);
    expect(
      unitsThatRan(before, [
        stamp("a.service", "active", "400"),
        stamp("b.socket", "inactive", "250"),
        stamp("c.service", "failed", "300"),
      ]),
    ).toEqual(["a.service (active)", "b.socket (inactive)"]);
    expect(unitsThatRan(before, [stamp("a.service", "deactivating", "100")])).toEqual(["a.service (deactivating)"]);
  });
});
