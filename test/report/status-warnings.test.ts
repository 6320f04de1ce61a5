import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import type { Finding } from "../../src/engine/finding.js";
import type { JournalData } from "../../src/journal/journal.js";
import { renderStatus } from "../../src/report/status-report.js";
import { at, start } from "../tui/events.js";

const journal: JournalData = {
  version: 1,
  migrationId: "web1",
  kind: "openvz-to-kvm",
  planPath: "/plans/web1.yaml",
  planHash: "h",
  createdAt: at(0),
  updatedAt: at(90),
  steps: {},
  facts: {},
  compensations: [],
  compensationLog: [],
  runs: [
    { startedAt: at(0), mode: "interactive", outcome: "declined" },
    { startedAt: at(60), mode: "interactive", outcome: "done" },
  ],
};
const probed = (sec: number, stepId: string, findings: Finding[]): PipelineEvent => ({
  type: "step-probed",
  at: at(sec),
  stepId,
  satisfied: false,
  commands: [],
  findings,
});
const noCheckpoints = (sides: string): Finding => ({
  id: "no-checkpoints",
  title: "No checkpoints",
  summary: `nothing can undo the migration's changes to the ${sides}`,
  severity: "warning",
  blocks: false,
});

describe("status's warnings (new-user trial 9, finding 9)", () => {
  it("says No checkpoints once, in the words of the latest run, though the first step to say it changed in between", () => {
    // The first run probed the pre-update step; the plan then set skipPreUpdate, and the next run's copy said it.
    const events = [
      start({ at: at(0) }),
      probed(1, "pre-update", [noCheckpoints("target or the source")]),
      start({ at: at(60) }),
      probed(61, "rsync", [noCheckpoints("target")]),
    ];
    const text = renderStatus(journal, "h", events, { lockHeld: false });
    expect(text.match(/No checkpoints/g)).toHaveLength(1);
    expect(text).toContain("! No checkpoints: nothing can undo the migration's changes to the target");
    expect(text).not.toContain("target or the source");
  });

  it("keeps each warning one probe says under one id (host doctor: a disk per domain); a later probe's replace them all", () => {
    const disk = (domain: string): Finding => ({
      id: "disk-not-virtio",
      title: "Disk not on virtio",
      summary: `${domain}: hda uses bus ide`,
      severity: "warning",
      blocks: false,
    });
    const twice = [start({ at: at(0) }), probed(1, "libvirt", [disk("legacy"), disk("old")])];
    const both = renderStatus(journal, "h", twice, { lockHeld: false });
    expect(both).toContain("! Disk not on virtio: legacy: hda uses bus ide");
    expect(both).toContain("! Disk not on virtio: old: hda uses bus ide");
    const later = [...twice, start({ at: at(60) }), probed(61, "libvirt", [disk("old")])];
    const text = renderStatus(journal, "h", later, { lockHeld: false });
    expect(text.match(/Disk not on virtio/g)).toHaveLength(1);
    expect(text).toContain("! Disk not on virtio: old: hda uses bus ide");
  });

  it("keeps distinct warnings without an id, each once", () => {
    const warning = (summary: string): Finding => ({
      title: "Service not found",
      summary,
      severity: "warning",
      blocks: false,
    });
    const events = [
      start({ at: at(0) }),
      probed(1, "reboot-verify", [warning("a.service"), warning("b.service")]),
      start({ at: at(60) }),
      probed(61, "reboot-verify", [warning("a.service")]),
    ];
    const text = renderStatus(journal, "h", events, { lockHeld: false });
    expect(text.match(/Service not found: a\.service/g)).toHaveLength(1);
    expect(text).toContain("Service not found: b.service");
  });
});
