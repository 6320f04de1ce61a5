import { describe, expect, it } from "vitest";
import { BadInputError } from "../../../src/errors.js";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { buildOpenvzToKvm } from "../../../src/pipelines/openvz-to-kvm/pipeline.js";
import { parsePlan } from "../../../src/plan/load.js";
import { collectDryRun, renderDryRunMarkdown } from "../../../src/report/dry-run-report.js";
import { renderRunReportMarkdown } from "../../../src/report/run-report.js";
import { summarizeRun } from "../../../src/report/run-summary.js";
import { Journal } from "../../../src/journal/journal.js";
import { loadPair, PAIRS, runOvz } from "./harness.js";
import { simulate } from "./simulate.js";

const GIB = 1024 ** 3;
const PLAN = (acknowledge: string) =>
  `kind: openvz-to-kvm\nsource: {transport: scripted, fixture: x, host: 198.18.10.31}\ntarget: {transport: scripted, fixture: x, host: 198.18.20.11}\noptions:\n  acknowledge:\n${acknowledge}`;

/** A source whose tree du measures at 30 GiB against a 20 GiB target: the copy-size blocker, wrong here by assumption. */
async function tooBigPair(acknowledge: Array<{ id: string; reason: string }> = []) {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, { skipPreUpdate: true, acknowledge });
  source.on(/^du -sx -B1 /, { stdout: `${30 * GIB}\t/\n${30 * GIB}\t/\n` });
  simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [100, 100] });
  return { plan, hosts: { source, target } };
}

describe("a blocker that can be wrong by design is acknowledged in the plan by id, with a reason", () => {
  it("an unknown id is a plan error naming it and the ids there are; a known one loads", () => {
    expect(() => parsePlan(PLAN("    - {id: disk-is-fine, reason: measured by hand}\n"), "/plans/a.yaml")).toThrow(
      BadInputError,
    );
    expect(() => parsePlan(PLAN("    - {id: disk-is-fine, reason: measured by hand}\n"), "/plans/a.yaml")).toThrow(
      /unknown blocker id "disk-is-fine": a plan may acknowledge only target-disk-too-small, /,
    );
    expect(() => parsePlan(PLAN("    - {id: target-disk-too-small}\n"), "/plans/a.yaml")).toThrow(/reason/);
    const loaded = parsePlan(
      PLAN("    - {id: target-disk-too-small, reason: sparse database files}\n"),
      "/plans/a.yaml",
    );
    expect((loaded.plan as { options: { acknowledge: unknown } }).options.acknowledge).toEqual([
      { id: "target-disk-too-small", reason: "sparse database files" },
    ]);
  });

  it("without the acknowledgement the copy-size blocker stops the run; with it the run goes on and both reports carry the reason", async () => {
    const blocked = await tooBigPair();
    const first = await runOvz(blocked.plan, blocked.hosts, "yes");
    expect(exitCodeForRun(first.outcome)).toBe(3);
    expect(first.outcome.message).toMatch(/^Target disk too small/);

    const reason =
      "the tree holds 25 GiB of sparse VM images that the copy keeps sparse (checked with du --apparent-size)";
    const acknowledged = await tooBigPair([{ id: "target-disk-too-small", reason }]);
    const dry = await runOvz(acknowledged.plan, acknowledged.hosts, "dry-run");
    expect(dry.outcome.status).toBe("dry-run");
    const finding = dry.outcome.findings.find((f) => f.title === "Target disk too small");
    expect(finding).toMatchObject({
      blocks: false,
      severity: "warning",
      id: "target-disk-too-small",
      acknowledged: reason,
    });
    const markdown = renderDryRunMarkdown(
      collectDryRun(
        buildOpenvzToKvm(acknowledged.plan) as never,
        { source: "s", target: "t" },
        dry.outcome.probes,
        dry.outcome.skipped,
      ),
    );
    expect(markdown).toContain(`Acknowledged in the plan (target-disk-too-small): ${reason}`);

    const run = await runOvz(acknowledged.plan, acknowledged.hosts, "yes");
    expect(exitCodeForRun(run.outcome)).toBe(0);
    const journal = (await Journal.read(Journal.pathFor(run.stateDir, acknowledged.plan.name!)))!;
    const report = renderRunReportMarkdown(summarizeRun(journal, run.events));
    expect(report).toContain(`Acknowledged in the plan (target-disk-too-small): ${reason}`);
  });

  it("an acknowledgement covers only its own id: another blocker still stops the run", async () => {
    const pair = await tooBigPair([{ id: "source-sshd-missing", reason: "sshd lives in /opt" }]);
    const { outcome } = await runOvz(pair.plan, pair.hosts, "dry-run");
    expect(outcome.findings.find((f) => f.title === "Target disk too small")).toMatchObject({ blocks: true });
    expect(outcome.findings.some((f) => f.acknowledged)).toBe(false);
  });
});
