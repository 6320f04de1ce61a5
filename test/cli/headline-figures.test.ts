import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { drivePipeline } from "../../src/cli/drive-pipeline.js";
import type { PipelineEvent } from "../../src/engine/events.js";
import { verifyResult, type Pipeline } from "../../src/engine/step.js";
import { createListrRenderer } from "../../src/render/listr.js";
import { OVZ_FACTS } from "../../src/steps/openvz-to-kvm/facts.js";
import { emptyModel, reduce } from "../../src/tui/model.js";
import { endLines } from "../../src/tui/panels.js";
import { end, start } from "../tui/events.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-headline-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** One step that records a freeze window, as db-freeze does. */
const freezing: Pipeline<unknown> = {
  kind: "openvz-to-kvm",
  title: "Freeze test",
  steps: [
    {
      id: "db-freeze",
      title: "Stop databases, final copy",
      destructive: false,
      probe: async () => ({ satisfied: false, commands: [], findings: [], plan: null }),
      commands: () => [],
      run: async (ctx) => ctx.facts.set(OVZ_FACTS.freezeWindowSec, 12.3),
      verify: async () => verifyResult([]),
    },
  ],
};

describe("the freeze window at the end of a run", () => {
  it("rides on pipeline-end (NDJSON and the log) from the journal's facts", async () => {
    let stdout = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const outcome = await drivePipeline({
      pipeline: freezing,
      plan: {},
      mode: "yes",
      flags: { yes: true, json: true },
      stateDir: dir,
      journal: { migrationId: "freeze", kind: "openvz-to-kvm", planPath: "/p.yaml", planHash: "h" },
      connect: async () => undefined,
      resumeCommand: "mudanza run /p.yaml --yes",
    });
    vi.restoreAllMocks();
    expect(outcome.status).toBe("done");
    const endLine = (text: string) =>
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as PipelineEvent)
        .find((e) => e.type === "pipeline-end");
    expect(endLine(stdout)).toMatchObject({ freezeWindowSec: 12.3 });
    expect(endLine(await readFile(join(dir, "freeze.log.ndjson"), "utf8"))).toMatchObject({ freezeWindowSec: 12.3 });
  });

  it("is on the TUI end screen and in the plain lines, with the downtime", async () => {
    const events = [start(), end(30, "done", { freezeWindowSec: 12.3, downtimeSec: 40 })];
    const model = events.reduce((m, e) => reduce(m, e, Date.parse(e.at)), emptyModel());
    const screen = endLines(model, 0)
      .map((l) => l.text)
      .join("\n");
    expect(screen).toContain("Freeze window 12.3 s (databases stopped for the final copy) · Downtime 40 s");
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    const renderer = createListrRenderer(out, 5000);
    for (const e of events) renderer.sink(e);
    await renderer.close();
    expect(text).toContain("Freeze window 12.3 s");
    expect(text).toContain("Downtime 40 s");
    // VServer → OpenVZ records one number as both: it is said once.
    const vserver = [start(), end(30, "done", { freezeWindowSec: 40, downtimeSec: 40 })].reduce(
      (m, e) => reduce(m, e, Date.parse(e.at)),
      emptyModel(),
    );
    const once = endLines(vserver, 0)
      .map((l) => l.text)
      .join("\n");
    expect(once).toContain("Downtime 40 s");
    expect(once).not.toContain("Freeze window");
  });
});
