import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { pickRenderer } from "../../src/cli/choose-renderer.js";
import { createNdjsonRenderer } from "../../src/render/ndjson.js";
import { createQuietRenderer } from "../../src/render/quiet.js";
import type { Renderer } from "../../src/render/renderer.js";
import { demoHosts } from "../support/demo-hosts.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";
import { progress, runningCopy } from "../tui/events.js";

function capture(make: (out: PassThrough) => Renderer) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString("utf8")));
  return { renderer: make(out), text: () => text };
}

// A terminal that named itself: without TERM the choice is the dumb terminal's (below).
const XTERM = { TERM: "xterm-256color" };

describe("which face", () => {
  it("json wins, then dry-run, then a terminal gets the TUI, everything else listr2", () => {
    expect(pickRenderer({ mode: "yes", json: true }, {}, true)).toBe("ndjson");
    expect(pickRenderer({ mode: "dry-run", dryRun: true }, {}, true)).toBe("quiet");
    expect(pickRenderer({ mode: "interactive" }, XTERM, true)).toBe("tui");
    expect(pickRenderer({ mode: "interactive" }, { TERM: "dumb" }, true)).toBe("lines"); // plain lines, gates asked as a line
    expect(pickRenderer({ mode: "yes" }, XTERM, true)).toBe("tui");
    expect(pickRenderer({ mode: "yes" }, XTERM, false)).toBe("listr");
    expect(pickRenderer({ mode: "yes" }, { ...XTERM, CI: "true" }, true)).toBe("listr");
    expect(pickRenderer({ mode: "yes" }, { TERM: "dumb" }, true)).toBe("listr");
  });

  it("TERM unset or empty on a terminal is taken as dumb: plain lines, no TUI (new-user trial, finding 11)", () => {
    // ssh -t from automation, su -c on a serial console: a terminal nobody named.
    for (const env of [{}, { TERM: "" }]) {
      expect(pickRenderer({ mode: "interactive" }, env, true)).toBe("lines");
      expect(pickRenderer({ mode: "yes" }, env, true)).toBe("listr");
    }
  });
});

describe("--json", () => {
  it("every line of a real run is one event valid against the exported schema", async () => {
    const { renderer, text } = capture((out) => createNdjsonRenderer(out));
    const run = await runDemo(demoHosts(), await tempStateDir(), {
      failOnce: new Set(["copy-data"]),
      onEvent: (e) => renderer.sink(e),
    });
    await renderer.close();
    const lines = text().trimEnd().split("\n");
    expect(lines.length).toBe(run.events.length);
    const parsed = lines.map((l) => pipelineEventSchema.parse(JSON.parse(l)));
    expect(parsed[0]?.type).toBe("pipeline-start");
    expect(parsed.at(-1)).toMatchObject({
      type: "pipeline-end",
      status: "failed",
      resumeCommand: "mudanza run demo.yaml --yes",
    });
    expect(parsed.some((e) => e.type === "compensation")).toBe(true);
  });

  it("progress at most every interval per step, the last figure always", () => {
    const { renderer, text } = capture((out) => createNdjsonRenderer(out, 60_000));
    for (const e of runningCopy()) renderer.sink(e);
    for (let i = 0; i < 1000; i++)
      renderer.sink(progress("copy-files", 11, i, 1000, { percent: i === 999 ? 100 : i / 10 }));
    const progressLines = text()
      .split("\n")
      .filter((l) => l.includes('"type":"progress"'));
    expect(progressLines.length).toBe(2);
    expect(JSON.parse(progressLines[1]!).progress.percent).toBe(100);
  });
});

describe("--dry-run on stderr", () => {
  it("says nothing when nothing blocks: stdout has the report, stderr no internal lines (issue 14)", async () => {
    const { renderer, text } = capture((out) => createQuietRenderer(out));
    await runDemo(demoHosts(), await tempStateDir(), { mode: "dry-run", onEvent: (e) => renderer.sink(e) });
    expect(text()).toBe("");
  });

  it("-v: one line per checked step in words, a closing sentence instead of a bare status", async () => {
    const { renderer, text } = capture((out) => createQuietRenderer(out, { verbose: true }));
    await runDemo(demoHosts(), await tempStateDir(), { mode: "dry-run", onEvent: (e) => renderer.sink(e) });
    expect(text()).toMatch(/^checking Demo migration \(source .+, target .+\)\n/);
    expect(text()).toContain("  Copy data to the target: would run");
    expect(text().trimEnd().split("\n").at(-1)).toBe("checked, nothing was changed");
    expect(text()).not.toMatch(/^dry-run$/m);
  });

  it("local-only commands say where in words, not 'local local'", () => {
    const { renderer, text } = capture((out) => createQuietRenderer(out, { verbose: true }));
    renderer.sink({
      type: "pipeline-start",
      at: "t",
      kind: "image-info",
      title: "Disk image backing chain and sizes",
      hosts: { local: "local" },
      mode: "dry-run",
      resumed: false,
      steps: [],
      journal: "j",
    });
    expect(text()).toBe("checking Disk image backing chain and sizes (on this machine)\n");
  });

  it("blockers named with their fixes, also without -v", async () => {
    const { renderer, text } = capture((out) => createQuietRenderer(out));
    const h = demoHosts();
    h.source.deleteFile("/srv/etc/app.conf");
    await runDemo(h, await tempStateDir(), { mode: "dry-run", onEvent: (e) => renderer.sink(e) });
    expect(text()).not.toContain("would run");
    // The blocker itself, not a pointer to a report some commands (image info) never print.
    expect(text()).toContain("blocked, nothing was changed:\n  ✖ no config: /srv/etc/app.conf is missing");
    expect(text()).not.toContain("see the report");
    expect(text()).not.toContain("\u001b[");
  });

  it("a command that prints its own report (host doctor) ends with one line, not the blockers again (found by a new-user trial)", async () => {
    const { renderer, text } = capture((out) => createQuietRenderer(out, { reportListsBlockers: true }));
    const h = demoHosts();
    h.source.deleteFile("/srv/etc/app.conf");
    await runDemo(h, await tempStateDir(), { mode: "dry-run", onEvent: (e) => renderer.sink(e) });
    // ...saying where they are: there is no report file (found by a new-user trial)
    expect(text()).toBe(
      "blocked: 1 blocker, each with its fix in the report this command prints on stdout (text, or JSON with --format json)\n",
    );
  });

  it("on a terminal, a slow dry run says it is still checking, and stops saying so at the end (found by a new-user trial)", () => {
    vi.useFakeTimers({ now: Date.parse("2026-12-03T10:00:00Z") });
    try {
      const { renderer, text } = capture((out) => createQuietRenderer(out, { stillCheckingEveryMs: 10_000 }));
      const steps = ["a", "b", "c"].map((id) => ({ id, title: id, destructive: false, status: "pending" as const }));
      const at = new Date().toISOString();
      renderer.sink({
        type: "pipeline-start",
        at,
        kind: "k",
        title: "t",
        hosts: {},
        mode: "dry-run",
        resumed: false,
        steps,
        journal: "j",
      });
      vi.advanceTimersByTime(9_000);
      expect(text()).toBe("");
      renderer.sink({ type: "step-probed", at, stepId: "a", satisfied: false, commands: [], findings: [] });
      vi.advanceTimersByTime(1_000);
      expect(text()).toBe("still checking (1 of 3 steps answered, 10 s; nothing is changed)\n");
      vi.advanceTimersByTime(10_000);
      expect(text().split("\n").at(-2)).toBe("still checking (1 of 3 steps answered, 20 s; nothing is changed)");
      renderer.sink({ type: "pipeline-end", at, status: "dry-run", journal: "j" });
      const before = text();
      vi.advanceTimersByTime(60_000);
      expect(text()).toBe(before);
    } finally {
      vi.useRealTimers();
    }
  });

  it("on a terminal, it says so while it is still connecting to the hosts too (found by a new-user trial: 20 s of silence per host)", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-12-03T10:00:00Z") });
    try {
      const { renderer, text } = capture((out) => createQuietRenderer(out, { stillCheckingEveryMs: 10_000 }));
      vi.advanceTimersByTime(10_000);
      expect(text()).toBe("still connecting to the hosts (10 s; nothing is changed)\n");
      await renderer.close();
      const before = text();
      vi.advanceTimersByTime(60_000);
      expect(text()).toBe(before);
    } finally {
      vi.useRealTimers();
    }
  });
});
