import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";

// Ink draws only the last frame when CI is set (is-in-ci, read when Ink loads). The product never starts the
// TUI under CI (src/cli/interactive.ts); this file tests the drawing itself, so CI goes before Ink loads.
vi.hoisted(() => {
  for (const key of Object.keys(process.env))
    if (key === "CI" || key === "CONTINUOUS_INTEGRATION" || key.startsWith("CI_")) delete process.env[key];
});
import { createInkRenderer } from "../../src/tui/ink-renderer.js";
import { runningCopy, end } from "./events.js";

/** A terminal-ish stdout that keeps what Ink writes (no cursor magic needed: we read the last frame). */
class FakeStdout extends EventEmitter {
  columns = 80;
  rows = 24;
  isTTY = true;
  chunks: string[] = [];
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
}

class FakeStdin extends EventEmitter {
  constructor(readonly isTTY: boolean) {
    super();
  }
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}

const strip = (s: string) => s.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;?]*[A-Za-z]", "g"), "");

describe("createInkRenderer", () => {
  it("without a terminal on stdin a gate is answered no, and the screen says why", async () => {
    const stdout = new FakeStdout();
    const renderer = createInkRenderer({
      abort: () => undefined,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: new FakeStdin(false) as unknown as NodeJS.ReadStream,
      env: { NO_COLOR: "1" },
    });
    for (const e of runningCopy().slice(0, -4)) renderer.sink(e);
    const answer = await renderer.confirm!({
      stepId: "copy-files",
      title: "Copy files (rsync)",
      commands: [],
      details: [],
    });
    expect(answer).toBe(false);
    renderer.sink(end(20, "declined"));
    await renderer.close();
    const screen = strip(stdout.chunks.join("")).replace(/\s+/g, " ");
    expect(screen).toContain(
      '"Copy files (rsync)" needs a yes, but stdin is not a terminal: answered no. Run with --yes to accept gates.',
    );
    expect(screen).toContain("■ Stopped at the gate");
  });

  it("draws the gate's commands; closing answers an open question no without aborting", async () => {
    const stdout = new FakeStdout();
    const stdin = new FakeStdin(true);
    const aborts: string[] = [];
    const renderer = createInkRenderer({
      abort: (s) => aborts.push(s),
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: {},
    });
    for (const e of runningCopy()) renderer.sink(e);
    const pending = renderer.confirm!({
      stepId: "install-boot",
      title: "Install the bootloader",
      commands: [{ host: "target", command: "grub-install /dev/vda" }],
      details: [],
    });
    // Ink draws at most 10 frames a second; on a loaded machine the first frame can take longer
    await vi.waitFor(() => expect(strip(stdout.chunks.join(""))).toContain("$ grub-install /dev/vda"), {
      timeout: 10_000,
      interval: 50,
    });
    expect(strip(stdout.chunks.join(""))).toContain("$ grub-install /dev/vda");
    await renderer.close();
    expect(await pending).toBe(false);
    expect(aborts).toEqual([]);
  });

  it("after the last frame, the end's paths and resume command as whole lines, and a newline for the prompt", async () => {
    const stdout = new FakeStdout();
    stdout.columns = 40; // narrower than every path below: the terminal wraps them, nothing cuts them
    const renderer = createInkRenderer({
      abort: () => undefined,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: new FakeStdin(false) as unknown as NodeJS.ReadStream,
      env: { NO_COLOR: "1" },
    });
    for (const e of runningCopy()) renderer.sink(e);
    const resumeCommand = "mudanza run /srv/plans/customer-42/web1-openvz-to-kvm.yaml --yes";
    renderer.sink(end(20, "failed", { resumeCommand }));
    await renderer.close();
    expect(stdout.chunks.at(-1)).toBe(
      [
        "Full log: /var/lib/mudanza/web1.log.ndjson",
        "Journal: /var/lib/mudanza/web1.journal.json",
        "Report: /var/lib/mudanza/web1.report.md",
        "Resume with:",
        `  ${resumeCommand}`,
        "",
      ].join("\n"),
    );
  });
});
