import { describe, expect, it } from "vitest";
import { windowSteps, planLayout } from "../../src/tui/layout.js";
import { gateLines, toRows, wrapText } from "../../src/tui/panels.js";

describe("wrapping and layout", () => {
  it("wraps at words, cuts long paths hard, indents continuation rows, never exceeds the width", () => {
    const text =
      "  $ rsync -aHAX --numeric-ids --delete --exclude=/proc --exclude=/sys --exclude=/very/long/path/" +
      "x".repeat(120) +
      " root@old:/ /mnt/";
    const rows = wrapText(text, 60);
    expect(rows.length).toBeGreaterThan(2);
    for (const r of rows) expect([...r].length).toBeLessThanOrEqual(60);
    expect(rows.slice(1).every((r) => r.startsWith("     "))).toBe(true);
    expect(
      rows
        .map((r) => r.trim())
        .join(" ")
        .replace(/\s+/g, ""),
    ).toBe(text.replace(/\s+/g, ""));
    expect(wrapText("short", 60)).toEqual(["short"]);
  });

  it("gate lines keep run order and name the host when it changes", () => {
    const lines = gateLines({
      stepId: "x",
      title: "Freeze",
      details: [],
      commands: [
        { host: "source", command: "systemctl stop mariadb.service", purpose: "stop writes" },
        { host: "source", command: "rsync ..." },
        { host: "target", command: "true" },
        { host: "source", command: "systemctl start mariadb.service" },
      ],
    });
    expect(lines.map((l) => l.text)).toEqual([
      "Next: Freeze — this step changes things",
      "What it runs, host by host in order:",
      "On source:",
      "  # stop writes",
      "  $ systemctl stop mariadb.service",
      "  $ rsync ...",
      "On target:",
      "  $ true",
      "On source:",
      "  $ systemctl start mariadb.service",
    ]);
    expect(toRows(lines, 20).every((l) => [...l.text].length <= 20)).toBe(true);
    const withWarning = gateLines({ stepId: "x", title: "Freeze", details: ["about 40 s"], commands: [] }, [
      {
        title: "Replica",
        summary: "mysql has a replica",
        severity: "warning",
        blocks: false,
        host: "source",
        remediation: "stop the replica first",
      },
      { title: "Note", summary: "just info", severity: "info", blocks: false },
    ]);
    // What it means before what it runs: details and warnings right under the title.
    expect(withWarning.map((l) => l.text)).toEqual([
      "Next: Freeze — this step changes things",
      "  • about 40 s",
      "  ! Replica (source): mysql has a replica — fix: stop the replica first",
      "  (the step lists no commands)",
    ]);
  });

  it("windows steps around the current one and fits the rows", () => {
    expect(windowSteps(5, 2, 10).length).toBe(5);
    const rows = windowSteps(30, 15, 7);
    expect(rows.length).toBe(7);
    expect(rows[0]).toEqual({ kind: "more", count: 13, where: "above" });
    expect(rows.some((r) => r.kind === "step" && r.index === 15)).toBe(true);
    expect(rows.at(-1)).toEqual({ kind: "more", count: 12, where: "below" });
    const layout = planLayout({
      rows: 24,
      columns: 79,
      stepCount: 30,
      currentIndex: 29,
      panelRows: 10,
      hasProgress: false,
    });
    expect(3 + layout.stepRows.length + layout.outputLines + 10 + 1).toBeLessThanOrEqual(23);
  });
});

describe("the end's paths and resume command (found by a new-user trial: cut or truncated in the panel)", () => {
  it("are whole lines, each path and the resume command in one piece, whatever the screen's width", async () => {
    const { endCopyLines } = await import("../../src/tui/panels.js");
    const journal = "/var/lib/mudanza/customer-42/web1-openvz-to-kvm.0123abcd.journal.json";
    const resumeCommand =
      "mudanza run /srv/plans/customer-42/a-very-long-plan-name-web1-openvz-to-kvm.yaml --yes --state-dir /var/lib/mudanza/customer-42";
    const lines = endCopyLines({
      status: "failed",
      exitCode: 1,
      atMs: 0,
      journal,
      log: "/l/web1.log.ndjson",
      resumeCommand,
    });
    expect(lines).toEqual([
      "Full log: /l/web1.log.ndjson",
      `Journal: ${journal}`,
      `Report: ${journal.replace(/\.journal\.json$/, ".report.md")}`,
      "Resume with:",
      `  ${resumeCommand}`,
    ]);
    expect(endCopyLines({ status: "dry-run", exitCode: 0, atMs: 0 })).toEqual([]);
    // Printed raw after the TUI: a path's control characters never reach the terminal.
    const escape = String.fromCharCode(27);
    const odd = endCopyLines({
      status: "failed",
      exitCode: 1,
      atMs: 0,
      resumeCommand: `mudanza run ${escape}[2Jweb1.yaml`,
    });
    expect(odd.join("\n")).not.toContain(escape);
  });

  it("a failure that resuming would repeat ends with the command that starts over, or says not to run it again", async () => {
    const { endCopyLines } = await import("../../src/tui/panels.js");
    const restartCommand = "mudanza image sparsify /v/g.qcow2 --out /v/g.sparse.qcow2 --replace --restart";
    const failed = { status: "failed", exitCode: 1, atMs: 0, resumeRepeatsFailure: true } as const;
    expect(endCopyLines({ ...failed, restartCommand })).toEqual([
      "Resuming would only repeat this failure; start over with:",
      `  ${restartCommand}`,
    ]);
    expect(endCopyLines(failed)).toEqual([
      "Resuming would only repeat this failure: do not run the same command again",
    ]);
  });

  it("a run whose files and hosts go as it ends (the demo's lab) says what to do instead (new-user trial 9, finding 2)", async () => {
    const { reduce, emptyModel } = await import("../../src/tui/model.js");
    const { endCopyLines } = await import("../../src/tui/panels.js");
    const insteadOfResuming = "The lab is torn down now: run the demo again: mudanza demo";
    const model = reduce(emptyModel(), {
      type: "pipeline-end",
      at: new Date(0).toISOString(),
      status: "declined",
      message: 'stopped before "Update and reboot both hosts" at your request; nothing in that step ran',
      insteadOfResuming,
    });
    expect(endCopyLines(model.end!)).toEqual([insteadOfResuming]);
  });
});

describe("the header's route (found by a new-user trial: host doctor showed '? → ?')", () => {
  it("is source → target for a migration, and the roles and addresses of any other command's hosts", async () => {
    const { routeOf } = await import("../../src/tui/components/Header.js");
    expect(routeOf({ source: "root@a:22", target: "root@b:22" })).toBe("root@a:22 → root@b:22");
    expect(routeOf({ local: "local" })).toBe("this machine");
    expect(routeOf({ "target-checkpoints": "root@kvm1:22" })).toBe("target-checkpoints: root@kvm1:22");
    expect(routeOf({})).toBe("connecting…");
  });
});
