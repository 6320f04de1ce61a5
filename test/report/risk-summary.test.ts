import { describe, expect, it } from "vitest";
import type { DryRunStep } from "../../src/report/dry-run-schema.js";
import { CHECKPOINTS_NOT_PLANNED, NO_UNDO, riskSummary } from "../../src/report/risk-summary.js";

const step = (id: string, facts: Record<string, unknown> = {}, destructive = false): DryRunStep => ({
  id,
  title: `Title of ${id}`,
  destructive,
  status: "would-run",
  commands: [],
  details: [],
  findings: [],
  facts,
});
const copySize = { allocatedBytes: 2_000_000_000, apparentBytes: 1_652_555_469, measuredWith: "du -sx over /" };

describe("the dry-run report's risk summary (issue 14)", () => {
  it("OpenVZ → KVM before any pass: the target tree it replaces, measured; the freeze estimated from the tree size; nothing undoes it", () => {
    const risk = riskSummary({
      kind: "openvz-to-kvm",
      steps: [
        step("pre-update", {}, true),
        step(
          "rsync",
          {
            copySize,
            targetReplaced: { allocatedBytes: 1_073_741_824, apparentBytes: 1, measuredWith: "du on the target" },
          },
          true,
        ),
      ],
      excludeCount: 53,
      earlierFacts: {},
      undo: [],
    });
    expect(risk.changes).toEqual([
      "2 step(s) ask at a gate before they change a host: Title of pre-update; Title of rsync.",
    ]);
    expect(risk.overwrites[0]).toContain("1.0 GiB (1073741824 bytes) allocated (measured: du on the target)");
    expect(risk.overwrites[1]).toContain('the 53 paths under "Not copied"');
    expect(risk.freeze[0]).toMatch(
      /^Freeze window \(databases stopped\): not measured yet, no time estimated\. The final pass does not compare the whole tree \(1\.5 GiB .*\): it lists what changed on the source since the last live pass began/,
    );
    // the JSON report says it as the Markdown does (new-user trial 7: an empty list read as "no concern")
    expect(risk.undo).toEqual([NO_UNDO]);
    // The lines go into the JSON as they are: no Markdown emphasis in them
    expect([...risk.changes, ...risk.overwrites, ...risk.freeze, ...risk.undo].join("\n")).not.toContain("**");
  });

  it("OpenVZ → KVM when the target's tree was not measured (the copy fits in its free space): df's used space bounds what is replaced", () => {
    const risk = riskSummary({
      kind: "openvz-to-kvm",
      steps: [
        step(
          "rsync",
          { copySize, targetDisk: { sizeBytes: 5_000_000_000, usedBytes: 1_610_612_736, freeBytes: 3_000_000_000 } },
          true,
        ),
      ],
      excludeCount: 53,
      earlierFacts: {},
      undo: [],
    });
    expect(risk.overwrites[0]).toContain(
      "its own files outside the excludes, at most 1.5 GiB (1610612736 bytes) (measured: df, everything in use on its root filesystem, the excludes included), are overwritten or deleted",
    );
    const unmeasured = riskSummary({
      kind: "openvz-to-kvm",
      steps: [step("rsync", { copySize }, true)],
      excludeCount: 53,
      earlierFacts: {},
      undo: [],
    });
    expect(unmeasured.overwrites[0]).toContain("The target's tree could not be measured.");
  });

  it("counted deletions when the rsync dry run ran, and seconds from the last live pass an earlier run measured", () => {
    const preview = {
      deleteFiles: 12,
      sendFiles: 340,
      sendBytes: 5_000_000,
      totalBytes: 9,
      measuredWith: "rsync --dry-run --itemize-changes of the first pass",
    };
    const passes = [
      { pass: 1, kind: "live", seconds: 300, transferredBytes: 1_600_000_000 },
      { pass: 2, kind: "live", seconds: 42, transferredBytes: 80_000_000 },
      { pass: 3, kind: "final", seconds: 7, transferredBytes: 1_000 },
    ];
    const risk = riskSummary({
      kind: "openvz-to-kvm",
      steps: [step("rsync", { copySize, copyPreview: preview }, true)],
      excludeCount: 3,
      earlierFacts: { syncPasses: passes },
      undo: [],
    });
    expect(risk.overwrites[0]).toBe(
      "The copy deletes 12 file(s) on the target that the source lacks and overwrites 340 changed file(s), 4.8 MiB (5000000 bytes) (measured: rsync --dry-run --itemize-changes of the first pass).",
    );
    expect(risk.freeze[0]).toContain("about 42 s, measured: the last live pass (pass 2) took 42 s");
  });

  it("VServer → OpenVZ: nothing on the node overwritten, the guest's size; other kinds only list their changing steps", () => {
    const vs = riskSummary({
      kind: "vserver-to-openvz",
      steps: [step("inventory", { bytesToTransfer: 2_879_389_696 })],
      excludeCount: 4,
      earlierFacts: { livePasses: [2_000_000_000, 3_000_000] },
      undo: [],
    });
    expect(vs.overwrites[0]).toMatch(/^Nothing on the OpenVZ node is overwritten.*2\.7 GiB/);
    expect(vs.freeze[0]).toContain("2.9 MiB (3000000 bytes) (measured by the last run)");
    const clone = riskSummary({
      kind: "image-clone",
      steps: [step("create", {}, true)],
      excludeCount: 0,
      earlierFacts: {},
      undo: [],
    });
    expect(clone).toEqual({
      changes: ["1 step(s) ask at a gate before they change a host: Title of create."],
      overwrites: [],
      freeze: [],
      undo: [expect.stringMatching(/^By hand: the run makes only new files/)],
    });
  });

  it("a step that changes a host without asking is counted apart, with what it changes; one that only reads or is done is not", () => {
    const writes = (id: string, what: string, status: DryRunStep["status"] = "would-run"): DryRunStep => ({
      ...step(id),
      status,
      changesWithoutAsking: what,
    });
    const steps = [step("reads"), writes("sync", "copies the guest"), writes("done", "x", "satisfied")];
    const alone = riskSummary({ kind: "vserver-to-openvz", steps, excludeCount: 0, earlierFacts: {}, undo: [] });
    expect(alone.changes).toEqual(["1 step(s) change a host without asking: Title of sync: copies the guest."]);
    const withGate = riskSummary({
      kind: "vserver-to-openvz",
      steps: [step("stop", {}, true), ...steps],
      excludeCount: 0,
      earlierFacts: {},
      undo: [],
    });
    expect(withGate.changes).toEqual([
      "1 step(s) ask at a gate before they change a host: Title of stop.",
      "1 more change a host without asking: Title of sync: copies the guest.",
    ]);
  });

  it("the undo hook: lines given to the report replace 'nothing can undo it'", async () => {
    const { collectDryRun, renderDryRunMarkdown } = await import("../../src/report/dry-run-report.js");
    const pipeline = { kind: "openvz-to-kvm", title: "T", steps: [] } as unknown as Parameters<typeof collectDryRun>[0];
    const without = renderDryRunMarkdown(collectDryRun(pipeline, {}, {}, {}, "t"));
    expect(without).toContain(`- Undo: ${NO_UNDO}`);
    // the kind that takes checkpoints, by name: `mudanza plan KIND` was a placeholder left in
    expect(NO_UNDO).toContain("`mudanza plan openvz-to-kvm`");
    expect(NO_UNDO).not.toContain("KIND");
    const withUndo = collectDryRun(pipeline, {}, {}, {}, "t", {
      undo: ["mudanza checkpoint restore web1 before-rsync"],
    });
    expect(withUndo.risk.undo).toEqual(["mudanza checkpoint restore web1 before-rsync"]);
    const md = renderDryRunMarkdown(withUndo);
    expect(md).toContain("- Undo:\n  - mudanza checkpoint restore web1 before-rsync");
    expect(md).not.toContain(NO_UNDO);
    expect(md.indexOf("## Risk")).toBeLessThan(md.indexOf("## Steps"));
  });
  it("image commands: steps that write new files are said to change things, and going back is by hand, not by checkpoints (found by a new-user trial)", () => {
    const command = { host: "local", command: "chmod a-w base.qcow2", purpose: "protect the base" };
    const steps = [
      { ...step("protect-base"), commands: [command] },
      { ...step("create-overlays"), commands: [{ ...command, command: "qemu-img create ..." }] },
      step("define-domains"),
    ];
    const risk = riskSummary({ kind: "image-clone", steps, excludeCount: 0, earlierFacts: {}, undo: [] });
    expect(risk.changes).toEqual([
      "2 step(s) write new files or change a file's mode, destroying nothing: Title of protect-base; Title of create-overlays.",
    ]);
    expect(risk.undo).toHaveLength(1);
    expect(risk.undo[0]).toMatch(/^By hand: .*chmod u\+w/);
    expect(risk.undo[0]).not.toContain("checkpoints");
    // a migration's step that runs commands but destroys nothing (a check) is not counted as writing
    const migration = riskSummary({ kind: "openvz-to-kvm", steps, excludeCount: 0, earlierFacts: {}, undo: [] });
    expect(migration.changes).toEqual(["No step would change anything."]);
  });

  it("a plan with a checkpoints section whose checkpoints could not be planned does not say it has none", async () => {
    const { collectDryRun, renderDryRunMarkdown } = await import("../../src/report/dry-run-report.js");
    const pipeline = { kind: "openvz-to-kvm", title: "T", steps: [] } as unknown as Parameters<typeof collectDryRun>[0];
    const md = renderDryRunMarkdown(collectDryRun(pipeline, {}, {}, {}, "t", { checkpointsInPlan: true }));
    expect(md).toContain(`- Undo:\n  - ${CHECKPOINTS_NOT_PLANNED}`);
    expect(md).not.toContain(NO_UNDO);
  });

  it("OpenVZ → KVM with cutover or finalPass full: the final pass compares the whole tree; a cutover's databases stay stopped (found by a new-user trial)", () => {
    const inputs = (planOptions: Record<string, unknown>, earlierFacts: Record<string, unknown> = {}) =>
      riskSummary({
        kind: "openvz-to-kvm",
        steps: [step("rsync", { copySize }, true)],
        excludeCount: 53,
        earlierFacts,
        undo: [],
        planOptions,
      });
    const cutover = inputs({ cutover: true, finalPass: "changed" });
    expect(cutover.freeze[0]).toContain(
      "With `cutover: true` the final pass compares the whole tree, 1.5 GiB (1652555469 bytes), again",
    );
    expect(cutover.freeze[0]).not.toContain("sends only what changed since the last live pass");
    expect(cutover.freeze[1]).toMatch(
      /^Downtime: with `cutover: true` the source's databases stop at the freeze and stay stopped/,
    );
    const full = inputs(
      { cutover: false, finalPass: "full" },
      { syncPasses: [{ kind: "live", pass: 2, seconds: 41, transferredBytes: 1000 }] },
    );
    expect(full.freeze[0]).toContain("at least 41 s, measured");
    expect(full.freeze[0]).toContain("with `finalPass: full` the final pass compares it all again");
    expect(full.freeze[1]).toContain("its databases start again after the final pass");
    // the default plan's final pass lists what changed and copies only that
    expect(inputs({ cutover: false, finalPass: "changed" }).freeze[0]).toContain(
      "it lists what changed on the source since the last live pass began",
    );
  });

  it("says what an earlier run left to undo: a run does it first, without asking (found by a new-user trial)", () => {
    const risk = (pendingUndo: Array<{ title: string; host: string }>) =>
      riskSummary({
        kind: "image-clone",
        steps: [step("create-overlays", {}, false)],
        excludeCount: 0,
        earlierFacts: {},
        undo: [],
        pendingUndo,
      }).changes;
    expect(
      risk([{ title: "remove overlay /v/vm1.qcow2 while it is the one this run made, unwritten", host: "local" }])[0],
    ).toBe(
      "Before its first step, a run first undoes what an earlier run left pending, without asking, in this order: remove overlay /v/vm1.qcow2 while it is the one this run made, unwritten (local). The steps below are planned from the hosts as they are now, before that undo: the run checks them again after it, and may have more to do.",
    );
    expect(risk([]).join(" ")).not.toContain("left pending");
  });
});
