import { writeFile, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLogEvents } from "../../src/report/log-events.js";
import { renderRunReportMarkdown, reportPathFor, writeRunReport } from "../../src/report/run-report.js";
import { summarizeRun } from "../../src/report/run-summary.js";
import { renderStatus } from "../../src/report/status-report.js";
import type { JournalData } from "../../src/journal/journal.js";
import { demoHosts } from "../support/demo-hosts.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";

async function demoRunWithLog(failOnce?: Set<string>) {
  const stateDir = await tempStateDir();
  const h = demoHosts();
  const run = await runDemo(h, stateDir, { failOnce });
  const logPath = join(stateDir, "demo.log.ndjson");
  // As drivePipeline writes it: one JSON event per line; plus a torn last line from a crash.
  await writeFile(logPath, run.events.map((e) => JSON.stringify(e)).join("\n") + '\n{"type":"output","at":"2026', {
    mode: 0o600,
  });
  const journal = JSON.parse(await readFile(run.journal.path, "utf8")) as JournalData;
  return { stateDir, run, logPath, journal, hosts: h };
}

describe("run report and status", () => {
  it("reads the log without output noise and skips a torn line", async () => {
    const { logPath, run } = await demoRunWithLog();
    const events = await readLogEvents(logPath);
    expect(events.length).toBeGreaterThan(5);
    expect(events.every((e) => e.type !== "output" && e.type !== "progress")).toBe(true);
    expect(events.filter((e) => e.type === "step-end").length).toBe(
      run.events.filter((e) => e.type === "step-end").length,
    );
    expect(await readLogEvents(join(logPath, "..", "missing.ndjson"))).toEqual([]);
  });

  it("a finished run: timeline in pipeline order with titles, durations and checks", async () => {
    const { journal, logPath, stateDir } = await demoRunWithLog();
    const summary = summarizeRun(journal, await readLogEvents(logPath), journal.planHash);
    expect(summary.steps.map((s) => s.id)).toEqual(["snapshot-config", "stop-service", "copy-data", "start-service"]);
    expect(summary.steps.every((s) => s.status === "done" && s.durationMs !== undefined)).toBe(true);
    const path = await writeRunReport(stateDir, journal, logPath);
    expect(path).toBe(reportPathFor(stateDir, "demo"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const md = await readFile(path, "utf8");
    expect(md).toContain("**Result: done** (exit 0)");
    expect(md).toMatch(/\| Copy data to the target \(copy-data\) \| done \| 20\d\d-[^|]+\| \d+\.\d s \|/);
    expect(md).toContain("- Copy data to the target:\n  - ok: data copied\n  - ok: no partial file");
    expect(md).toContain("No freeze window was recorded");
    expect(md).not.toContain("PENDING");
  });

  it("a failed run: status shows where it stopped and how to resume", async () => {
    const { journal, logPath } = await demoRunWithLog(new Set(["copy-data"]));
    const text = renderStatus(journal, journal.planHash, await readLogEvents(logPath));
    expect(text).toMatch(/✖ failed\s+Copy data to the target\s+\S+\s+\d+\.\d s {2}injected failure in copy-data/);
    expect(text).toMatch(/○ pending\s+Start the service on the source again/);
    expect(text).toContain("Resume with: mudanza run demo.yaml --yes");
    expect(text).not.toContain("WARNING: the plan file changed");
    expect(renderStatus(journal, "another-hash")).toContain("WARNING: the plan file changed");
  });

  it("freeze window, checks after the reboot and warnings come from the journal and the log", () => {
    const journal: JournalData = {
      version: 1,
      migrationId: "web1",
      kind: "openvz-to-kvm",
      planPath: "/etc/mudanza/web1.yaml",
      planHash: "h",
      createdAt: "2026-11-23T10:00:00.000Z",
      updatedAt: "2026-11-23T10:30:00.000Z",
      steps: {
        "db-freeze": {
          status: "done",
          durationMs: 95_000,
          attempts: 1,
          checks: [{ name: "databases stopped", ok: true }],
        },
        reboot: { status: "done", durationMs: 41_000, attempts: 1, checks: [{ name: "boot id changed", ok: true }] },
        "post-checks": {
          status: "done",
          durationMs: 3_000,
          attempts: 1,
          checks: [
            { name: "sshd answers", ok: true },
            { name: "mysql running", ok: true, detail: "mysqld active" },
          ],
        },
      },
      facts: { freezeWindowSec: 94.6 },
      compensations: [],
      compensationLog: [],
      runs: [
        {
          startedAt: "2026-11-23T10:00:00.000Z",
          mode: "interactive",
          endedAt: "2026-11-23T10:30:00.000Z",
          outcome: "done",
        },
      ],
    };
    const events = [
      {
        type: "step-probed" as const,
        at: "2026-11-23T10:00:01.000Z",
        stepId: "db-freeze",
        satisfied: false,
        commands: [],
        findings: [
          {
            title: "Old kernel",
            summary: "3.10 on source",
            severity: "warning" as const,
            blocks: false,
            host: "source",
          },
        ],
      },
      {
        type: "step-probed" as const,
        at: "2026-11-23T10:00:02.000Z",
        stepId: "db-freeze",
        satisfied: false,
        commands: [],
        findings: [
          {
            title: "Old kernel",
            summary: "3.10 on source",
            severity: "warning" as const,
            blocks: false,
            host: "source",
          },
        ],
      },
    ];
    const summary = summarizeRun(journal, events);
    expect(summary.rebootStepId).toBe("reboot");
    expect(summary.warnings.length).toBe(1);
    const md = renderRunReportMarkdown(summary);
    expect(md).toContain("Services were stopped for **94.6 s**");
    expect(md).toContain("## Verified after the reboot");
    expect(md).toContain("  - ok: mysql running (mysqld active)");
    expect(md).not.toContain("databases stopped");
    expect(md).toContain("- **Old kernel** (source): 3.10 on source");
    const text = renderStatus(journal, "h", events);
    expect(text).toContain("Freeze window (databases stopped): 94.6 s");
    expect(text).toContain(
      "Verified after the reboot:\n  ✔ boot id changed\n  ✔ sshd answers\n  ✔ mysql running (mysqld active)",
    );
    expect(text).toContain("! Old kernel (source): 3.10 on source");
  });

  it("a failure that resuming would repeat: the report says to start over, or not to run it again", () => {
    const journal: JournalData = {
      version: 1,
      migrationId: "image-sparsify-0123456789ab",
      kind: "image-sparsify",
      planPath: "(arguments) mudanza image sparsify /v/g.qcow2 --replace",
      planHash: "h",
      createdAt: "2026-11-23T10:00:00.000Z",
      updatedAt: "2026-11-23T10:05:00.000Z",
      steps: { "replace-original": { status: "failed", message: "the disk changed", attempts: 1 } },
      facts: {},
      compensations: [],
      compensationLog: [],
      runs: [{ startedAt: "2026-11-23T10:00:00.000Z", mode: "interactive", outcome: "failed" }],
    };
    const restartCommand = "mudanza image sparsify /v/g.qcow2 --replace --restart";
    const end = {
      type: "pipeline-end" as const,
      at: "2026-11-23T10:05:00.000Z",
      status: "failed" as const,
      resumeRepeatsFailure: true,
      restartCommand,
    };
    const md = renderRunReportMarkdown(summarizeRun(journal, [end], "h"));
    expect(md).toContain(`Resuming would only repeat this failure; start over with: \`${restartCommand}\``);
    expect(md).not.toContain("Resume with");
    const withoutRestart = renderRunReportMarkdown(summarizeRun(journal, [{ ...end, restartCommand: undefined }], "h"));
    expect(withoutRestart).toContain("Resuming would only repeat this failure: do not run the same command again.");
  });
});
