import { describe, expect, it } from "vitest";
import { useTempDirs } from "../../support/temp-dirs.js";
import type { PipelineEvent } from "../../../src/engine/events.js";
import { runPipeline } from "../../../src/engine/runner.js";
import { Journal } from "../../../src/journal/journal.js";
import { buildVserverToOpenvz } from "../../../src/pipelines/vserver-to-openvz/pipeline.js";
import { mountApp } from "../../tui/render-app.js";
import { webWorld } from "./scripted-world.js";
import { vsPlan } from "./support.js";

/** Temporary directories of this file's tests, removed after each. */
const tempDir = useTempDirs();

describe("the TUI shows a vserver-to-openvz run from its events alone", () => {
  it("lists the seven steps and ends done, with no pipeline-specific code in src/tui", async () => {
    const world = await webWorld();
    const plan = vsPlan(
      {},
      {
        source: { transport: "scripted", fixture: "x", host: "vs1.example.net" },
        target: { transport: "scripted", fixture: "x", host: "node1.example.net" },
      },
    );
    const stateDir = await tempDir("mudanza-vs-tui-");
    const journal = await Journal.open({
      stateDir,
      migrationId: "web1",
      kind: plan.kind,
      planPath: "web1.yaml",
      planHash: "h",
    });
    const events: PipelineEvent[] = [];
    try {
      const outcome = await runPipeline({
        pipeline: buildVserverToOpenvz(plan),
        plan,
        hosts: { source: world.source, target: world.target },
        journal,
        mode: "yes",
        sink: (e) => events.push(e),
      });
      expect(outcome.status).toBe("done");
    } finally {
      await journal.close();
    }
    const app = mountApp({ columns: 100, rows: 40 });
    await app.feed(events);
    const frame = app.frame();
    expect(frame).toContain("Linux-VServer guest to OpenVZ container");
    for (const title of [
      "Read the VServer guest",
      "Copy the guest to the node while it runs",
      "Stop the VServer guest and run the final copy",
      "Write the container's OpenVZ config",
      "Fix up the guest for OpenVZ",
      "Start the OpenVZ container and check it",
      "Keep the VServer guest from starting at boot",
    ]) {
      expect(frame).toContain(title);
    }
    expect(frame).toMatch(/done/i);
    app.ui.unmount();
  });
});
