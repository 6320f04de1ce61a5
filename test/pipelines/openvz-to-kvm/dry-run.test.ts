import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/program.js";
import { innerRsync, RSYNC_PASS } from "../../support/locked-rsync.js";
import { loadPair, PAIRS, runOvz } from "./harness.js";

const STEPS = [
  "checkpoint-before-update",
  "pre-update",
  "release-match",
  "capture-target",
  "checkpoint-before-copy",
  "rsync",
  "db-freeze",
  "network-fixup",
  "kernel-install",
  "restore-vm-packages",
  "pre-reboot-check",
  "reboot-verify",
  "cutover",
  "delete-checkpoints",
];

let stdout = "";
beforeEach(() => {
  stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

async function cli(plan: string, ...extra: string[]): Promise<{ code: number; stderr: string }> {
  const stateDir = await mkdtemp(join(tmpdir(), "mudanza-ovz-cli-"));
  let stderr = "";
  const code = await main(
    ["run", plan, "--dry-run", "--format", "json", "--state-dir", stateDir, ...extra],
    (t) => (stderr += t),
  );
  return { code, stderr };
}

function reportOf(text: string): {
  steps: Array<{ id: string; commands: Array<{ host: string; command: string }>; details: string[] }>;
  blockers: Array<{ title: string }>;
  warnings: Array<{ title: string; summary: string; id?: string }>;
} {
  return JSON.parse(text.slice(text.indexOf("{\n")));
}

describe("mudanza run PLAN --dry-run on the scripted pairs", () => {
  it.each(Object.entries(PAIRS))("%s: exit 0, every step listed with its commands on each host", async (name, pair) => {
    const { code, stderr } = await cli(pair.plan);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = reportOf(stdout);
    expect(report.steps.map((s) => s.id)).toEqual(STEPS);
    expect(report.blockers).toEqual([]);
    const byStep = Object.fromEntries(report.steps.map((s) => [s.id, s.commands]));
    const hostsOf = (id: string): string[] => [...new Set(byStep[id]!.map((c) => c.host))].sort();
    expect(hostsOf("pre-update")).toEqual(["source", "target"]);
    expect(hostsOf("rsync")).toEqual(["source", "target"]);
    expect(hostsOf("db-freeze")).toEqual(["source", "target"]);
    // No checkpoints section: the run is allowed, and every destructive step says nothing can undo it.
    expect(report.warnings.filter((w) => w.title === "No checkpoints").map((w) => w.summary)).toEqual([
      "nothing can undo the migration's changes to the target or the source",
    ]);
    // ...with an id: status shows it once though another run's first step said it in other words (new-user trial 9)
    expect(report.warnings.find((w) => w.title === "No checkpoints")?.id).toBe("no-checkpoints");
    // ...and its checkpoint steps are skipped, not "already done" (found by a new-user trial)
    expect(report.steps.find((s) => s.id === "checkpoint-before-update")).toMatchObject({
      status: "skipped",
      reason: "no checkpoint configured for the target or the source: nothing can undo the steps after this one",
    });
    const detailsOf = (id: string): string[] => report.steps.find((s) => s.id === id)!.details;
    for (const id of ["rsync", "db-freeze", "reboot-verify"])
      expect(detailsOf(id)).toContain("warning: no checkpoint, nothing can undo this on the target");
    // The first step's "No checkpoints" warning says it there: not again in a detail (new-user trial 9, smaller things).
    expect(detailsOf("pre-update").filter((d) => d.includes("nothing can undo"))).toEqual([]);
    expect(innerRsync(byStep["rsync"]!.find((c) => RSYNC_PASS.test(c.command))?.command ?? "")).toMatch(
      /^rsync -aHAXS --numeric-ids --delete .*--info=progress2 .*--exclude=\/usr\/lib\/modules .*StrictHostKeyChecking=yes.* \/ root@198\.18\.20\.1[01]:\/$/,
    );
    // Both Debian 12 ends' rsync 3.2.7 list zstd; AlmaLinux 8's rsync 3.1.3 compresses with zlib only.
    for (const id of ["rsync", "db-freeze"]) {
      const copy = innerRsync(byStep[id]!.find((c) => RSYNC_PASS.test(c.command))!.command);
      if (name === "alma") expect(copy).toMatch(/ --compress (?!.*--compress-choice)/);
      else expect(copy).toContain(" --compress --compress-choice=zstd ");
    }
    expect(report.steps.find((s) => s.id === "rsync")!.details.join("\n")).toMatch(
      name === "alma"
        ? /compression: --compress without zstd .*the source's rsync 3\.1\.3 predates zstd support/
        : /compression: zstd \(both ends' rsync list it: source 3\.2\.7, target 3\.2\.7\)/,
    );
    // Debian 12's mariadb.socket starts the database on the next connect: it is stopped with it; EL 8 has none.
    expect(byStep["db-freeze"]!.map((c) => c.command)).toContain(
      name === "alma" ? "systemctl stop -- mariadb.service" : "systemctl stop -- mariadb.socket mariadb.service",
    );
    const install = byStep["kernel-install"]!.map((c) => c.command).join("\n");
    expect(install).toMatch(
      name === "alma"
        ? /dnf -y install kernel-4\.18\.0-513\.5\.1\.el8_9\.x86_64/
        : /apt-get .* install linux-image-6\.1\.0-35-amd64/,
    );
    // The VM's packages are recorded before the copy; what to put back is decided once the copy is done.
    expect(detailsOf("capture-target")).toContain(
      `${name === "alma" ? 13 : 16} installed packages recorded: those the copy removes are installed again after the kernel`,
    );
    expect(detailsOf("restore-vm-packages")).toEqual([
      "planned once the final pass and the kernel install are done: they decide what is missing",
    ]);
    expect(byStep["restore-vm-packages"]).toEqual([]);
    // The container's venet config and reboot hook go; the VM's own files stay through the copy, so none is rewritten.
    const fixup = byStep["network-fixup"]!.map((c) => c.command).join("\n");
    expect(fixup).toMatch(name === "alma" ? /ifcfg-venet0/ : /K00vzreboot/);
    expect(fixup).not.toMatch(/\/etc\/network\/interfaces|ifcfg-ens3/);
  });

  it("the markdown report names each step and host", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "mudanza-ovz-cli-"));
    const code = await main(["run", PAIRS.debian.plan, "--dry-run", "--state-dir", stateDir], () => undefined);
    expect(code).toBe(0);
    for (const id of STEPS) expect(stdout).toContain(`(\`${id}\`)`);
    expect(stdout).toMatch(/On \*\*source\*\*/);
    expect(stdout).toMatch(/On \*\*target\*\*/);
    // Each step's long commands once, as its gate shows them: the copy's lock shell was in every rsync of the
    // freeze (new-user trial 9, smaller things); the JSON report keeps them whole.
    const freeze = stdout.slice(stdout.indexOf("(`db-freeze`)"), stdout.indexOf("(`network-fixup`)"));
    expect(freeze.split("cannot create the copy's lock file").length - 1).toBe(1);
    expect(freeze).toContain("…(1)…");
    expect(freeze).toMatch(/the JSON report \(`--format json`\) has every command whole/);
  });

  it("a release mismatch blocks with exit 3 and names both releases", async () => {
    const { code } = await cli("fixtures/plans/ovz-kvm-almalinux-release-mismatch.yaml");
    expect(code).toBe(3);
    const report = reportOf(stdout);
    expect(report.blockers.map((b) => b.title)).toEqual(["Release mismatch"]);
    expect(JSON.stringify(report.blockers)).toMatch(/8\.9.*8\.8/);
  });

  it("a target without /boot/vmlinuz-$(uname -r) blocks with exit 3", async () => {
    const { code } = await cli("fixtures/plans/ovz-kvm-debian-12-target-without-kernel.yaml");
    expect(code).toBe(3);
    expect(reportOf(stdout).blockers.map((b) => b.title)).toEqual(["Kernel file missing"]);
  });
});

describe("a dry run changes nothing", () => {
  it.each(Object.entries(PAIRS))(
    "%s: no mutation on either scripted host, every probe command answered",
    async (_name, pair) => {
      const { plan, source, target } = await loadPair(pair.plan);
      const { outcome } = await runOvz(plan, { source, target }, "dry-run");
      expect(outcome.status).toBe("dry-run");
      expect(source.mutations).toEqual([]);
      expect(target.mutations).toEqual([]);
      // cutover is skipped by these plans (no `cutover: true`): it has nothing to probe
      // without checkpoints the checkpoint steps and delete-checkpoints are skipped too: nothing to take or delete
      const withoutCheckpoints = ["checkpoint-before-update", "checkpoint-before-copy", "delete-checkpoints"];
      expect(Object.keys(outcome.probes)).toEqual(
        STEPS.filter((id) => id !== "cutover" && !withoutCheckpoints.includes(id)),
      );
      expect(outcome.skipped["cutover"]).toMatch(/no cutover in this plan/);
    },
  );
});

describe("options.services checked on the source before anything changes", () => {
  // systemd's answer for a unit it has no file for: not-found, inactive, an empty UnitFileState
  const notFound = (unit: string) => `Id=${unit}\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n`;
  const found = (unit: string) => `Id=${unit}\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n`;

  it("a service neither host has a unit for blocks the dry run, with the source's unit it likely meant (new-user trial 9: it was a warning, and the run failed at its end)", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { services: ["ssh", "sshh"] });
    source.on("systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- ssh.service sshh.service", {
      stdout: found("ssh.service") + "\n" + notFound("sshh.service"),
    });
    target.on("systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- sshh.service", {
      stdout: notFound("sshh.service"),
    });
    source.on("systemctl list-unit-files --type=service --no-legend", {
      stdout: "cron.service    enabled enabled\nssh.service     enabled enabled\nsshd.service    alias   -\n",
    });
    const { outcome } = await runOvz(plan, { source, target }, "dry-run");
    expect(outcome.status).toBe("blocked");
    expect(outcome.probes["reboot-verify"]?.findings).toEqual([
      expect.objectContaining({
        severity: "error",
        blocks: true,
        title: "Service not found on the source",
        summary: expect.stringMatching(
          /^options\.services names sshh\.service, which neither the source nor the target has a unit for \(did you mean ssh\.service\?\): /,
        ),
        remediation: expect.stringMatching(/^write ssh\.service in options\.services/),
        host: "source",
      }),
    ]);
    expect(source.mutations).toEqual([]);
  });

  it("a service only the target has now is a warning: the VM's packages may be installed again after the copy", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { services: ["ssh", "qemu-guest-agent"] });
    source.on(
      "systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- ssh.service qemu-guest-agent.service",
      { stdout: found("ssh.service") + "\n" + notFound("qemu-guest-agent.service") },
    );
    target.on("systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- qemu-guest-agent.service", {
      stdout: found("qemu-guest-agent.service"),
    });
    source.on("systemctl list-unit-files --type=service --no-legend", { stdout: "ssh.service enabled enabled\n" });
    const { outcome } = await runOvz(plan, { source, target }, "dry-run");
    expect(outcome.status).toBe("dry-run");
    expect(outcome.probes["reboot-verify"]?.findings).toEqual([
      expect.objectContaining({
        severity: "warning",
        title: "Service not found on the source",
        summary: expect.stringMatching(
          /^options\.services names qemu-guest-agent\.service, which the source has no unit for: the target has it now/,
        ),
      }),
    ]);
  });
});
