import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createListrRenderer } from "../../src/render/listr.js";
import type { PipelineEvent } from "../../src/engine/events.js";
import { at, end, output, probe, progress, runningCopy, start, stepEnd, stepStart } from "../tui/events.js";

async function renderAll(events: PipelineEvent[], progressEveryMs = 5000): Promise<string> {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const renderer = createListrRenderer(out, progressEveryMs);
  for (const e of events) renderer.sink(e);
  await renderer.close();
  return text;
}

describe("listr2 renderer (--yes without a terminal)", () => {
  it("prints plain lines in event order: checks, each step, the result; no cursor codes", async () => {
    const text = await renderAll([
      ...runningCopy(),
      {
        type: "prompt",
        at: at(7),
        stepId: "install-boot",
        title: "Install the bootloader",
        commands: [{ host: "target", command: "grub-install /dev/vda" }],
        details: ["writes the MBR of /dev/vda"],
      },
      progress("copy-files", 11, 4294967296, 4294967296),
      stepEnd("copy-files", 12, "done", 4000),
      stepStart("install-boot", 12),
      { type: "prompt-answer", at: at(12), stepId: "install-boot", accepted: true, by: "yes-flag" },
      stepEnd("install-boot", 13, "failed", 1000, "grub-install exited 1"),
      { type: "compensation", at: at(13), id: "c1", title: "unmount /mnt/root", host: "target", ok: true },
      end(14, "failed", {
        message: "Install the bootloader: grub-install exited 1",
        resumeCommand: "mudanza run web1.yaml --yes",
      }),
    ]);
    expect(text).not.toContain("\u001b[");
    const lines = text.split("\n");
    const idx = (needle: string) => lines.findIndex((l) => l.includes(needle));
    expect(idx("[COMPLETED] Checks passed")).toBeGreaterThan(idx("checking: Copy files (rsync)"));
    expect(idx("[COMPLETED] Check the source (0.4 s)")).toBeGreaterThan(idx("[COMPLETED] Checks passed"));
    expect(idx("[COMPLETED] Stop databases (2.1 s)")).toBeGreaterThan(idx("[COMPLETED] Check the source"));
    expect(idx("target: var/lib/mysql/ibdata1")).toBeGreaterThan(idx("[STARTED] Copy files (rsync)"));
    expect(text).toContain("1.2 GiB / 4.0 GiB  30%");
    expect(text).toContain("4.0 GiB / 4.0 GiB  100%"); // the final figure passes the throttle
    expect(idx("[COMPLETED] Copy files (rsync) (4.0 s)")).toBeGreaterThan(idx("100%"));
    expect(text).toContain("on target: grub-install /dev/vda");
    expect(text).toContain("gate accepted by --yes");
    expect(text).toMatch(/\[FAILED\] Install the bootloader \(1\.0 s\): grub-install exited 1/);
    expect(text).not.toContain("[STARTED] Reboot the target"); // never reached: left out, not "started"
    expect(text).not.toContain("not reached");
    expect(idx("undone: unmount /mnt/root on target")).toBeGreaterThan(idx("[FAILED] Install"));
    expect(text).toContain("resume with: mudanza run web1.yaml --yes");
    expect(text).toContain("log: /var/lib/mudanza/web1.log.ndjson");
    expect(text).toMatch(/\[FAILED\] failed after 14 s \(exit 1\)/);
  });

  it("a failure that resuming would repeat ends with the command that starts over, not a resume (found by a new-user trial)", async () => {
    const restartCommand = "mudanza image sparsify /v/g.qcow2 --out /v/g.sparse.qcow2 --replace --restart";
    const text = await renderAll([
      ...runningCopy(),
      stepEnd("copy-files", 12, "failed", 1000, "the disk changed"),
      end(13, "failed", { message: "the disk changed", resumeRepeatsFailure: true, restartCommand }),
    ]);
    expect(text).toContain(`resuming would only repeat this failure; start over with: ${restartCommand}`);
    expect(text).not.toContain("resume with:");
  });

  it("a step declined at its gate is not labelled FAILED: nothing of it ran (new-user trial 8)", async () => {
    const text = await renderAll([
      ...runningCopy(),
      stepEnd("copy-files", 12, "done", 4000),
      stepStart("install-boot", 12),
      {
        type: "prompt",
        at: at(12),
        stepId: "install-boot",
        title: "Install the bootloader",
        commands: [],
        details: [],
      },
      { type: "prompt-answer", at: at(13), stepId: "install-boot", accepted: false, by: "user" },
      stepEnd("install-boot", 13, "pending", 0, "declined at the gate"),
      end(14, "declined", { message: 'stopped before "Install the bootloader" at your request' }),
    ]);
    expect(text).toContain("[SKIPPED] Install the bootloader: not run, declined at the gate");
    expect(text).not.toMatch(/\[FAILED\] Install the bootloader/);
    expect(text).not.toContain("[STARTED] Reboot the target");
  });

  it("throttles a flood of progress to a sane rate", async () => {
    const events = [...runningCopy()];
    for (let i = 0; i < 10_000; i++) events.push(progress("copy-files", 10, i, 100_000));
    const t0 = performance.now();
    const text = await renderAll(events, 60_000);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect((text.match(/files checked|B \/ /g) ?? []).length).toBeLessThanOrEqual(2);
  });

  it("a blocked run fails the checks with every blocker", async () => {
    const text = await renderAll([
      start(),
      ...probe("check-source", 1, {
        findings: [
          {
            title: "No free space",
            summary: "target has 1 GiB free, needs 40 GiB",
            severity: "error",
            blocks: true,
            remediation: "grow the target disk",
          },
        ],
      }),
      stepEnd("check-source", 2, "blocked", 0, "No free space"),
      end(2, "blocked", { message: "No free space: target has 1 GiB free, needs 40 GiB" }),
    ]);
    expect(text).toContain("BLOCKER: No free space: target has 1 GiB free, needs 40 GiB (fix: grow the target disk)");
    expect(text).toContain("Blocked before anything changed:");
    expect(text).toContain("Check the source: No free space");
    expect(text).not.toContain("[COMPLETED] Check the source");
    expect(text).not.toContain("Checks passed");
  });

  it("a finished run completes every task", async () => {
    const events: PipelineEvent[] = [start()];
    for (const [i, s] of start().type === "pipeline-start"
      ? (start() as Extract<PipelineEvent, { type: "pipeline-start" }>).steps.entries()
      : [])
      events.push(...probe(s.id, i));
    for (const [i, s] of (start() as Extract<PipelineEvent, { type: "pipeline-start" }>).steps.entries())
      events.push(...probe(s.id, 10 + i), output(s.id, 10 + i, "hi"), stepEnd(s.id, 11 + i, "done", 1000));
    events.push(end(30, "done"));
    const text = await renderAll(events);
    expect((text.match(/\[COMPLETED\]/g) ?? []).length).toBe(7);
    expect(text).toContain("[COMPLETED] Migration complete after 30 s");
    expect(text).not.toContain("[FAILED]");
  });

  it("ends when a step fails after listr2 has moved on, as it does when events arrive over time (the --yes hang, issue 11.1)", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    const renderer = createListrRenderer(out);
    const until = async (test: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 1000 && !test(); i++) await new Promise((r) => setImmediate(r));
      if (!test()) throw new Error(`listr2 never printed ${what}; it printed:\n${text}`);
    };
    for (const e of runningCopy()) renderer.sink(e);
    await until(() => text.includes("[STARTED] Copy files (rsync)"), "the copy task");
    renderer.sink(stepEnd("copy-files", 12, "failed", 4000, "rsync exited 23"));
    // listr2 goes on to the next task as soon as this one fails, before the runner's compensations and end.
    await until(() => /\[STARTED\] (Install the bootloader|Result)/.test(text), "the next task");
    renderer.sink({
      type: "compensation",
      at: at(13),
      id: "c1",
      title: "start the databases",
      host: "source",
      ok: true,
    });
    renderer.sink(end(14, "failed", { message: "Copy files (rsync): rsync exited 23" }));
    const closed = await Promise.race([
      renderer.close().then(() => "closed"),
      new Promise((r) => setTimeout(() => r("still waiting"), 10_000)),
    ]);
    expect(closed).toBe("closed");
    expect(text).toMatch(/\[FAILED\] Copy files \(rsync\) \(4\.0 s\): rsync exited 23/);
    expect(text).not.toContain("[STARTED] Install the bootloader"); // the run stopped: later steps are left out
    expect(text).toContain("undone: start the databases on source");
    expect(text).toMatch(/\[FAILED\] failed after 14 s \(exit 1\)/);
  });
});
