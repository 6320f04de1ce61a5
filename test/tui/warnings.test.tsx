import { cleanup } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import type { Finding } from "../../src/engine/finding.js";
import { emptyModel, reduce } from "../../src/tui/model.js";
import { at, end, probe, start, stepEnd } from "./events.js";
import { mountApp, tick } from "./render-app.js";

afterEach(() => cleanup());

// A warning of a step that never asks (check-source has no gate): it has no question to sit next to.
const arp: Finding = {
  title: "198.18.20.13 stays on the VServer host",
  summary: "interfaces/02 is nodev",
  severity: "warning",
  blocks: false,
  host: "source",
  remediation: "remove it, or both will answer ARP",
};
const preflight: PipelineEvent[] = [
  start(),
  ...probe("check-source", 1, { findings: [arp] }),
  ...probe("stop-services", 1),
  ...probe("copy-files", 1),
];
const gate = (stepId: string, title: string) => ({
  stepId,
  title,
  commands: [{ host: "source", command: "systemctl stop mariadb" }],
  details: [],
});

describe("warnings of steps without a gate", () => {
  it("are shown at the first destructive gate, and not repeated at the next one", async () => {
    const app = mountApp({ rows: 30, columns: 160 });
    await app.feed([
      ...preflight,
      stepEnd("check-source", 2, "done", 100),
      { type: "prompt", at: at(2), ...gate("stop-services", "Stop databases") },
    ]);
    app.store.setPrompt({ ...gate("stop-services", "Stop databases"), answer: () => app.store.setPrompt(undefined) });
    await tick();
    expect(app.frame()).toContain("Warnings from the checks:");
    expect(app.frame()).toContain(
      "! 198.18.20.13 stays on the VServer host (source): interfaces/02 is nodev — fix: remove it, or both will answer ARP",
    );
    app.ui.stdin.write("y");
    await app.feed([
      { type: "prompt-answer", at: at(3), stepId: "stop-services", accepted: true, by: "user" },
      stepEnd("stop-services", 4, "done", 100),
      { type: "prompt", at: at(4), ...gate("copy-files", "Copy files (rsync)") },
    ]);
    app.store.setPrompt({ ...gate("copy-files", "Copy files (rsync)"), answer: () => app.store.setPrompt(undefined) });
    await tick();
    expect(app.frame()).toContain("Next: Copy files (rsync)");
    expect(app.frame()).not.toContain("Warnings from the checks:");
  });

  it("with --yes, reach the screen at the first gate and stay on the end screen of a failed run", async () => {
    const events: PipelineEvent[] = [
      ...preflight,
      { type: "prompt", at: at(2), ...gate("stop-services", "Stop databases") },
      { type: "prompt-answer", at: at(2), stepId: "stop-services", accepted: true, by: "yes-flag" },
    ];
    const model = events.reduce((m, e) => reduce(m, e, Date.parse(e.at)), emptyModel());
    expect(model.steps.find((s) => s.id === "stop-services")?.output.map((o) => o.line)).toEqual([
      `! 198.18.20.13 stays on the VServer host (source): interfaces/02 is nodev — fix: remove it, or both will answer ARP`,
      "gate accepted by --yes",
    ]);

    const app = mountApp({ rows: 30, columns: 160 });
    await app.feed([...events, stepEnd("stop-services", 3, "failed", 100, "mkdir exited 127"), end(4, "failed")]);
    expect(app.frame()).toContain("1 warning:");
    expect(app.frame()).toContain("! 198.18.20.13 stays on the VServer host (source)");
  });

  it("on a short terminal the end screen keeps their titles and the resume command", async () => {
    const many = Array.from({ length: 6 }, (_, i): Finding => ({
      ...arp,
      title: `warning number ${i}`,
      summary: "a long explanation ".repeat(6),
    }));
    const app = mountApp({ rows: 24, columns: 80 });
    await app.feed([
      start(),
      ...probe("check-source", 1, { findings: many }),
      stepEnd("check-source", 2, "failed", 100, "boom"),
      end(3, "failed", { resumeCommand: "mudanza run web1.yaml" }),
    ]);
    expect(app.frame()).toContain("6 warnings (in the report): warning number 0;");
    // Room below the frame for the log, journal, report and resume command, printed after it
    // (ink-renderer.tsx), and the shell's prompt.
    const tail = ["Full log", "Journal", "Report", "Resume with:", "  mudanza run web1.yaml"].length;
    expect(app.frame().split("\n").length + tail + 1).toBeLessThanOrEqual(24);
  });
});
