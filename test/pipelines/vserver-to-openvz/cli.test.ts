import { afterEach, describe, expect, it, vi } from "vitest";
import { useTempDirs } from "../../support/temp-dirs.js";
import { main } from "../../../src/cli/program.js";

/** Temporary directories of this file's tests, removed after each. */
const tempDir = useTempDirs();

async function dryRun(plan: string, format?: "json"): Promise<{ code: number; stdout: string; stderr: string }> {
  const stateDir = await tempDir("mudanza-vs-cli-");
  let stdout = "";
  let stderr = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(
      ["run", plan, "--dry-run", "--state-dir", stateDir, ...(format ? ["--format", format] : [])],
      (t) => (stderr += t),
    );
    return { code, stdout, stderr };
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe("mudanza run <vserver plan> --dry-run", () => {
  it("the Undo line gives advice this kind can follow: the real guest and CTID, no checkpoints section (found by a new-user trial)", async () => {
    const { code, stdout } = await dryRun("fixtures/plans/vserver-db1.yaml");
    expect(code).toBe(0);
    const undo = stdout.slice(stdout.indexOf("- Undo:"), stdout.indexOf("\n## ", stdout.indexOf("- Undo:")));
    // "see `mudanza plan KIND`" was a placeholder, and a vserver plan with a checkpoints section is refused
    expect(undo).not.toContain("KIND");
    expect(undo).not.toMatch(/Add a `checkpoints` section/);
    expect(undo).toContain("By hand (this kind takes no checkpoints");
    expect(undo).toContain("`vzctl stop 4242`");
    expect(undo).toContain("`vserver db1 start`");
  });

  it("prints every step with its commands and exits 0", async () => {
    const { code, stdout } = await dryRun("fixtures/plans/vserver-web1.yaml");
    expect(code).toBe(0);
    for (const id of [
      "inventory",
      "sync-live",
      "stop-and-final-sync",
      "write-ctid-conf",
      "fixup-guest",
      "start-container",
      "disable-guest",
    ])
      expect(stdout).toContain(`(\`${id}\`)`);
    for (const command of [
      "vserver web1 status",
      "rsync -aHAXS --numeric-ids --delete",
      "root@node1.example.net:/vz/private/1001/",
      "vserver web1 stop",
      "(write /etc/vz/conf/1001.conf, mode 0644",
      "ln -sfn /proc/mounts /vz/private/1001/etc/mtab",
      "mknod -m 600 /vz/private/1001/dev/console c 5 1",
      "vzctl start 1001",
      "vzctl exec 1001 hostname",
      "mv /etc/vservers/web1/apps/init/mark /etc/vservers/web1/apps/init/mark.mudanza-disabled",
    ])
      expect(stdout).toContain(command);
    expect(stdout).toMatch(/IP\\?_ADDRESS="198\.18\.10\.21"/);
  });

  it("gives every step its commands in the JSON report", async () => {
    const { code, stdout } = await dryRun("fixtures/plans/vserver-web1.yaml", "json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      outcome: string;
      steps: Array<{ id: string; status: string; commands: unknown[] }>;
      excludes: Array<{ path: string }>;
      estimate: { bytesToTransfer: number } | null;
    };
    expect(report.outcome).toBe("ready");
    expect(report.steps.map((s) => s.status)).toEqual(Array(7).fill("would-run"));
    for (const step of report.steps) expect(step.commands.length, step.id).toBeGreaterThan(0);
    expect(report.excludes.map((e) => e.path)).toEqual(["/proc/*", "/sys/*", "/dev/pts/*", "/root/mudanza-backup"]);
    expect(report.estimate?.bytesToTransfer).toBe(412316 * 1024); // du -sxk of the guest
  });

  it("maps a CentOS guest's limits and plans the Red Hat fix-ups", async () => {
    const { code, stdout } = await dryRun("fixtures/plans/vserver-db1.yaml", "json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      steps: Array<{ id: string; details: string[] }>;
      warnings: Array<{ title: string }>;
    };
    const conf = report.steps.find((s) => s.id === "write-ctid-conf")!.details.join("\n");
    for (const line of [
      'DISKSPACE="10485760:11534336"',
      'NUMPROC="400:400"',
      'CPUMASK="0-1"',
      'IP_ADDRESS="198.18.20.11 198.18.20.13"',
      'OSTEMPLATE="centos-5-x86_64"',
      'ONBOOT="no"',
    ])
      expect(conf).toContain(line);
    const fixups = report.steps.find((s) => s.id === "fixup-guest")!.details.join("\n");
    expect(fixups).toMatch(
      /venet-network: etc\/sysconfig\/network-scripts\/ifcfg-eth0 \(ONBOOT=no\); etc\/sysconfig\/network \(GATEWAY line commented out\)/,
    );
    expect(fixups).toMatch(/fstab: etc\/fstab \(device and swap lines commented out\)/);
    expect(report.warnings.map((w) => w.title)).toContain("198.18.20.13 stays on the VServer host");
  });

  it("says ONBOOT once for a guest without a boot mark, and names the container by its id (new-user trial 10)", async () => {
    const db1 = JSON.parse((await dryRun("fixtures/plans/vserver-db1.yaml", "json")).stdout) as {
      steps: Array<{ id: string; details: string[]; commands: Array<{ command: string; purpose: string }> }>;
    };
    const conf = db1.steps.find((s) => s.id === "write-ctid-conf")!.details;
    expect(conf).toContainEqual(expect.stringMatching(/^ONBOOT="no" {2}<- apps\/init\/mark: /));
    expect(conf.join("\n")).not.toContain("until the cutover");
    const onboot = db1.steps
      .find((s) => s.id === "start-container")!
      .commands.find((c) => c.command === "vzctl set 4242 --onboot no --save")!;
    expect(onboot.purpose).toBe(
      "after the checks: not started with the node, as the guest was not started with its host (no apps/init/mark)",
    );
    // web1 has its mark: ONBOOT changes at the cutover, and the words say so
    const web1 = await dryRun("fixtures/plans/vserver-web1.yaml");
    expect(web1.stdout).toContain('ONBOOT="no" until the cutover, then "yes"');
    expect(web1.stdout).toContain("# after the checks: start with the node like the guest did with its host");
    const risks = web1.stdout.slice(0, web1.stdout.indexOf("\n## ", web1.stdout.indexOf("without asking")));
    expect(risks).toContain("copies the running guest into /vz/private/1001 on the node");
    expect(risks).toContain("writes /etc/vz/conf/1001.conf on the node");
    expect(web1.stdout).toContain(
      "(/srv/shared/www on /var/www/shared, options bind,ro): recreate them as bind mounts in /etc/vz/conf/1001.mount",
    );
    expect(web1.stdout).not.toMatch(/\/CTID\b|CTID\.(conf|mount)/);
  });

  it("exits 3 when the CTID is taken on the node", async () => {
    const { code, stdout } = await dryRun("fixtures/plans/vserver-web1-ctid-taken.yaml");
    expect(code).toBe(3);
    expect(stdout).toMatch(/CTID 1001 is taken/);
    expect(stdout).toContain("/etc/vz/conf/1001.conf already exists on the OpenVZ node");
  });
});
