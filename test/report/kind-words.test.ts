import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import type { JournalData } from "../../src/journal/journal.js";
import { describeProgress } from "../../src/render/format.js";
import { createListrRenderer } from "../../src/render/listr.js";
import type { DryRunReport } from "../../src/report/dry-run-schema.js";
import { renderDryRunMarkdown } from "../../src/report/dry-run-report.js";
import { renderRunReportMarkdown } from "../../src/report/run-report.js";
import { summarizeRun } from "../../src/report/run-summary.js";
import { renderStatus } from "../../src/report/status-report.js";
import { emptyModel, reduce } from "../../src/tui/model.js";
import { endLines } from "../../src/tui/panels.js";
import { end, start } from "../tui/events.js";

const cloneStart = start({
  kind: "image-clone",
  title: "Clone a base image into overlays",
  steps: [{ id: "create-overlays", title: "Create the overlays", destructive: true, status: "pending" }],
});
const cloneJournal: JournalData = {
  version: 1,
  migrationId: "image-clone-3fa2b1c04d5e",
  kind: "image-clone",
  planPath: "(arguments) {}",
  planHash: "h",
  createdAt: "2026-11-23T10:00:00.000Z",
  updatedAt: "2026-11-23T10:00:05.000Z",
  steps: { "create-overlays": { status: "done", durationMs: 500, attempts: 1 } },
  facts: {},
  compensations: [],
  compensationLog: [],
  runs: [{ startedAt: "2026-11-23T10:00:00.000Z", mode: "yes", outcome: "done" }],
};

describe("each pipeline kind in its own words", () => {
  it("an image clone ends with 'Clones created', on the TUI end screen and in plain lines", async () => {
    const events: PipelineEvent[] = [cloneStart, end(5, "done")];
    const model = events.reduce((m, e) => reduce(m, e, Date.parse(e.at)), emptyModel());
    const title = endLines(model, 0)[0]!.text;
    expect(title).toMatch(/^✔ Clones created after/);
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    const renderer = createListrRenderer(out, 5000);
    for (const e of events) renderer.sink(e);
    await renderer.close();
    expect(text).toContain("Clones created after");
    expect(text).not.toContain("Migration");
    // A migration keeps its words.
    const migration = [start(), end(5, "done")].reduce((m, e) => reduce(m, e, Date.parse(e.at)), emptyModel());
    expect(endLines(migration, 0)[0]!.text).toMatch(/^✔ Migration complete/);
  });

  it("an image clone's report and status are not titled Migration and have no freeze window", () => {
    const summary = summarizeRun(cloneJournal, [cloneStart]);
    const md = renderRunReportMarkdown(summary);
    expect(md).toMatch(/^# Image clone image-clone-3fa2b1c04d5e: /);
    expect(md).not.toContain("Freeze window");
    const status = renderStatus(cloneJournal, undefined, [cloneStart]);
    expect(status).toMatch(/^Image clone image-clone-/);
    expect(status).not.toContain("Freeze window");
    const migration = renderRunReportMarkdown(summarizeRun({ ...cloneJournal, kind: "openvz-to-kvm" }, []));
    expect(migration).toMatch(/^# Migration /);
    expect(migration).toContain("## Freeze window");
  });

  it("a progress that counts overlays, not bytes, shows no '0 B'", () => {
    expect(describeProgress({ bytesDone: 0, filesChecked: 1, filesTotal: 2, percent: 50, label: "lab1" })).toBe(
      "50%  1/2 files",
    );
    expect(describeProgress({ bytesDone: 0 })).toBe("0 B");
    expect(describeProgress({ bytesDone: 0, bytesTotal: 100 })).toBe("0 B / 100 B  0%");
  });

  it("only kinds that copy data have an Estimate section in their dry run", () => {
    const report = (kind: string): DryRunReport => ({
      reportVersion: 1,
      kind,
      title: "t",
      generatedAt: "2026-11-23T10:00:00.000Z",
      outcome: "ready",
      hosts: {},
      blockers: [],
      warnings: [],
      hostFacts: {},
      excludes: [],
      steps: [],
      estimate: null,
      risk: { changes: [], overwrites: [], freeze: [], undo: [] },
      checkpoints: [],
    });
    expect(renderDryRunMarkdown(report("image-clone"))).not.toContain("## Estimate");
    expect(renderDryRunMarkdown(report("openvz-to-kvm"))).toContain("## Estimate");
  });
});
