import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { dryRunReportSchema } from "../../src/report/dry-run-schema.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PLAN = join(ROOT, "fixtures/plans/ovz-kvm-debian-12.yaml");

async function dryRun(format: "md" | "json") {
  const state = await mkdtemp(join(tmpdir(), "mudanza-dry-"));
  try {
    const result = await run(
      process.execPath,
      [join(ROOT, "bin/mudanza.js"), "run", PLAN, "--dry-run", "--format", format, "--state-dir", state],
      { env: { ...process.env, CI: "1" } },
    );
    return { ...result, stateFiles: await readdir(state) };
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

/** The real CLI on the OpenVZ -> KVM scripted plan: the report carries the pipeline's own facts. */
describe("mudanza run PLAN --dry-run (scripted OpenVZ -> KVM plan)", () => {
  it("--format json: valid against the exported schema, with facts per host, excludes and an estimate", async () => {
    const { stdout, stderr, stateFiles } = await dryRun("json");
    const report = dryRunReportSchema.parse(JSON.parse(stdout));
    expect(report.kind).toBe("openvz-to-kvm");
    expect(report.outcome).toBe("ready");
    expect(report.hostFacts.source!.length).toBeGreaterThan(0);
    expect(report.hostFacts.target!.length).toBeGreaterThan(0);
    expect(report.excludes.find((e) => e.path === "/etc/fstab")?.reason).toBeTruthy();
    expect(report.risk.overwrites[0]).toMatch(
      /^The target's root is replaced by the source's: its own files outside the excludes, at most [\d.]+ [KMG]iB .*\(measured: df, /,
    );
    expect(report.risk.freeze[0]).toMatch(/^Freeze window \(databases stopped\): not measured yet/);
    expect(report.risk.undo).toEqual([
      expect.stringMatching(/^Nothing can undo this run: the plan has no `checkpoints` section/),
    ]);
    // in plain text: no Markdown emphasis in the JSON (new-user trial 7)
    expect(JSON.stringify(report.risk)).not.toContain("**");
    // The JSON keeps every command exactly as it would run.
    expect(
      report.steps
        .find((s) => s.id === "rsync")
        ?.commands.some((c) => c.command.includes("--exclude=/etc/default/grub.d")),
    ).toBe(true);
    expect(report.estimate?.bytesToTransfer).toBeGreaterThan(0);
    expect(report.steps.every((s) => s.status !== "not-probed")).toBe(true);
    expect(report.steps.find((s) => s.destructive)?.commands.length).toBeGreaterThan(0);
    // Without -v nothing goes to stderr (no internal lines, issue 14); a dry run leaves no journal, log or report.
    expect(stderr).toBe("");
    expect(stateFiles).toEqual([]);
  });

  it("Markdown by default on stdout, nothing but the report", async () => {
    const { stdout } = await dryRun("md");
    expect(stdout.startsWith("# Dry run: OpenVZ container to KVM virtual machine")).toBe(true);
    expect(stdout).toContain("**Ready**: no blockers found.");
    expect(stdout).toContain("## Facts: source");
    expect(stdout).toContain("## Facts: target");
    // what the figure is: du's apparent size of the source, not something rsync measured (new-user trial 7)
    expect(stdout).toMatch(
      /About \*\*[\d.]+ [KMG]iB\*\* \(\d+ bytes\) to transfer \(the source's tree outside the excludes, as the `rsync` step measured it with du --apparent-size\)/,
    );
    // the disk-space lines agree with the Risk section: the deletions' bound is the target's df, not the source's
    expect(stdout).toContain("until then the risk summary bounds them by the target's used space (df)");
    expect(stdout).not.toContain("the source's used space");
    expect(stdout).toContain("| `/etc/fstab` |");
    expect(stdout).toContain("On **source**:");
    expect(stdout).not.toContain("would run,"); // stderr lines stay out
    // Risk first; each exclude once, in the table (not again in the details or spelled out in the commands).
    expect(stdout.indexOf("## Risk")).toBeLessThan(stdout.indexOf("## Facts"));
    expect(stdout).toMatch(/^- Undo: Nothing can undo this run/m);
    expect(stdout.split("/etc/default/grub.d").length - 1).toBe(1);
    expect(stdout).toMatch(/--exclude=… \(54 paths: "Not copied"\)/);
  });
});
