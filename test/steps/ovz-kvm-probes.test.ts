import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { FACT } from "../../src/steps/openvz-to-kvm/plan.js";
import { captureTarget } from "../../src/steps/openvz-to-kvm/capture-target.js";
import { dbFreeze } from "../../src/steps/openvz-to-kvm/db-freeze.js";
import { kernelInstall } from "../../src/steps/openvz-to-kvm/kernel-install.js";
import { networkFixup } from "../../src/steps/openvz-to-kvm/network-fixup.js";
import { releaseMatch } from "../../src/steps/openvz-to-kvm/release-match.js";
import { rsyncStep } from "../../src/steps/openvz-to-kvm/rsync-step.js";
import { innerRsync, RSYNC_PASS } from "../support/locked-rsync.js";
import { copyFitFindings } from "../../src/steps/rsync/copy-size.js";
import { planFrom, stepContext } from "./context.js";

const ALMA = "fixtures/plans/ovz-kvm-almalinux-8.9.yaml";
const DEBIAN = "fixtures/plans/ovz-kvm-debian-12.yaml";

async function pair(source: string, target: string): Promise<{ source: ScriptedHost; target: ScriptedHost }> {
  return {
    source: await loadScriptedHost(`fixtures/hosts/${source}`, "source"),
    target: await loadScriptedHost(`fixtures/hosts/${target}`, "target"),
  };
}
const alma = () => pair("almalinux-8.9-openvz-source", "almalinux-8.9-kvm-target");
const deb = () => pair("debian-12-openvz-source", "debian-12-kvm-target");
const titles = (findings: Array<{ title: string; blocks: boolean }>, blocks: boolean) =>
  findings.filter((f) => f.blocks === blocks).map((f) => f.title);

describe("release-match", () => {
  it("a point-release gap is a warning while the update is pending, a blocker without it", async () => {
    const hosts = await alma();
    hosts.target.putFile("/etc/redhat-release", "AlmaLinux release 8.9.1 (Midnight Oncilla)\n");
    const pending = await releaseMatch.probe(stepContext(await planFrom(ALMA), hosts).ctx);
    expect(titles(pending.findings, false)).toContain("Release mismatch");
    expect(titles(pending.findings, true)).toEqual([]);
    const skipped = await releaseMatch.probe(stepContext(await planFrom(ALMA, { skipPreUpdate: true }), hosts).ctx);
    expect(titles(skipped.findings, true)).toEqual(["Release mismatch"]);
  });

  it("blocks a target that is a container, warns about a source that is not", async () => {
    const hosts = await alma();
    hosts.target.on("systemd-detect-virt", { stdout: "openvz\n" });
    hosts.source.on("systemd-detect-virt", { stdout: "kvm\n" });
    const probe = await releaseMatch.probe(stepContext(await planFrom(ALMA), hosts).ctx);
    expect(titles(probe.findings, true)).toEqual(["Target is a container"]);
    expect(titles(probe.findings, false)).toEqual(["Source is not a container"]);
  });

  it("run records both releases; verify checks the recorded pair", async () => {
    const hosts = await deb();
    const { ctx, facts } = stepContext(await planFrom(DEBIAN), hosts);
    await releaseMatch.run(ctx, (await releaseMatch.probe(ctx)).plan);
    expect(facts[FACT.sourceRelease]).toMatchObject({ id: "debian", point: "12.11" });
    expect((await releaseMatch.verify(ctx)).ok).toBe(true);
  });
});

describe("capture-target", () => {
  it("saves network, fstab, boot files, host keys, control keys and SELinux state, then sets up the migration key", async () => {
    const hosts = await alma();
    hosts.source.on(
      /^mkdir -p -m 700 \/root\/\.mudanza-migrate/,
      (_c, h) => {
        h.putFile(
          "/root/.mudanza-migrate/id_ed25519.pub",
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO3mYpY2Z8Pq1m6wqB3sZ0u0b4fJr0yG2mWm7hX2xQ9a mudanza-migration-key\n",
        );
        return {};
      },
      { mutates: true },
    );
    for (const h of [hosts.source, hosts.target]) h.on(/^mkdir -p -m 700 \/root\/\.ssh/, {}, { mutates: true });
    const { ctx, facts, compensations } = stepContext(await planFrom(ALMA), hosts);
    const probe = await captureTarget.probe(ctx);
    expect(probe.satisfied).toBe(false);
    expect(probe.details?.join("\n")).toMatch(/ifcfg-ens3/);
    await captureTarget.run(ctx, probe.plan);
    const identity = facts[FACT.targetIdentity] as Record<string, unknown>;
    expect(identity).toMatchObject({
      kernelRelease: "4.18.0-513.5.1.el8_9.x86_64",
      selinuxEnforcing: true,
      networkUnits: ["NetworkManager.service"],
    });
    expect((identity.network as Array<{ path: string }>).map((f) => f.path)).toEqual([
      "/etc/sysconfig/network",
      "/etc/sysconfig/network-scripts/ifcfg-ens3",
    ]);
    expect(identity.bootFiles).toContain("vmlinuz-4.18.0-513.5.1.el8_9.x86_64");
    expect(identity.bootPackages).toContain("grub2-pc");
    expect(identity.authorizedKeys).toEqual([expect.stringMatching(/admin@workstation$/)]);
    expect(String(identity.fstab)).toMatch(/UUID=6b1e0a4f/);
    // known_hosts on the source holds both hosts' keys under the target's address.
    const knownHosts = await hosts.source.readFile("/root/.mudanza-migrate/known_hosts");
    expect(knownHosts.split("\n").filter(Boolean)).toHaveLength(6);
    expect(knownHosts).toMatch(/^198\.18\.20\.10 ssh-ed25519 /m);
    expect([...compensations.keys()].sort()).toEqual(["revoke-migration-key-source", "revoke-migration-key-target"]);
    expect((await captureTarget.verify(ctx)).ok).toBe(true);
    // Never captured twice: the target may already hold the source's files.
    expect((await captureTarget.probe(ctx)).satisfied).toBe(true);
  });
});

describe("capture-target and secrets", () => {
  it("a network file holding a password stays on the target; the journal only says where", async () => {
    const hosts = await alma();
    const keyfile = "/etc/NetworkManager/system-connections/office-vpn.nmconnection";
    const content = "[connection]\nid=office-vpn\ntype=vpn\n\n[vpn-secrets]\npassword=hunter2\n";
    hosts.target.putFile(keyfile, content, { mode: 0o600 });
    hosts.target.on(/^find \/etc\/sysconfig\/network-scripts /, {
      stdout: `/etc/sysconfig/network-scripts/ifcfg-ens3\n${keyfile}\n`,
      code: 1,
    });
    hosts.target.on(
      /^mkdir -p -m 700 \/root\/mudanza-backup\/captured\/\S+ && cp -a \S+ \S+$/,
      (command, h) => {
        const [from, to] = command.split(" ").slice(-2);
        h.putFile(to!, h.files.get(from!)!.content, { mode: 0o600 });
        return {};
      },
      { mutates: true },
    );
    hosts.source.on(
      /^mkdir -p -m 700 \/root\/\.mudanza-migrate/,
      (_c, h) => (
        h.putFile(
          "/root/.mudanza-migrate/id_ed25519.pub",
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO3mYpY2Z8Pq1m6wqB3sZ0u0b4fJr0yG2mWm7hX2xQ9a mudanza-migration-key\n",
        ),
        {}
      ),
      { mutates: true },
    );
    for (const h of [hosts.source, hosts.target]) h.on(/^mkdir -p -m 700 \/root\/\.ssh/, {}, { mutates: true });
    const { ctx, facts } = stepContext(await planFrom(ALMA), hosts);
    const probe = await captureTarget.probe(ctx);
    expect(probe.details?.join("\n")).toMatch(
      /office-vpn\.nmconnection \(holds a secret: kept on the target, not in the journal\)/,
    );
    await captureTarget.run(ctx, probe.plan);
    expect(JSON.stringify(facts)).not.toContain("hunter2");
    const identity = facts[FACT.targetIdentity] as { network: Array<{ path: string; keptOnTarget?: string }> };
    expect(identity.network.find((f) => f.path === keyfile)).toEqual({
      path: keyfile,
      content: "",
      keptOnTarget: `/root/mudanza-backup/captured${keyfile}`,
    });
    // network-fixup reads it back from the target to restore it.
    const { withKeptContent } = await import("../../src/steps/network/network-secrets.js");
    expect(
      (await withKeptContent(hosts.target, identity.network as never)).find((f) => f.path === keyfile)?.content,
    ).toBe(content);
  });
});

const GIB = 1024 ** 3;

describe("rsync probe", () => {
  it("blocks when rsync or sshd is missing, the disk is too small, or /lib is linked differently", async () => {
    const hosts = await deb();
    hosts.target.on("command -v rsync", { code: 1 });
    hosts.target.on("df -P -B1 /", {
      stdout:
        "Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/vda1 1073741824 536870912 536870912 50% /\n",
    });
    hosts.source.on(/^du -sx -B1 /, { stdout: `${3 * GIB}\t/\n${3 * GIB - 4096}\t/\n` });
    hosts.target.on(/^du -sx -B1 /, { stdout: `${Math.round(0.4 * GIB)}\t/\n` });
    for (const p of ["/bin", "/sbin", "/lib", "/lib64"]) hosts.source.putDir(p);
    hosts.source.deleteFile("/usr/sbin/sshd");
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(titles(probe.findings, true)).toEqual([
      "rsync missing",
      "sshd missing on the source",
      "/bin /sbin /lib /lib64 linked differently",
      "Target disk too small",
    ]);
  });

  it("blocks a source whose rsync predates 3.1.0 (--info=progress2), with the version found and the one needed", async () => {
    const hosts = await alma();
    hosts.source.on("rsync --version", {
      stdout: readFileSync("fixtures/hosts/rsync-output/version-3.0.0.txt", "utf8"),
    });
    const probe = await rsyncStep.probe(stepContext(await planFrom(ALMA), hosts).ctx);
    const tooOld = probe.findings.filter((f) => f.title.startsWith("rsync too old"));
    expect(tooOld).toEqual([
      expect.objectContaining({ blocks: true, host: "source", title: "rsync too old on the source" }),
    ]);
    expect(tooOld[0]!.summary).toContain("the source has rsync 3.0.0");
    expect(tooOld[0]!.remediation).toContain("install rsync 3.1.0 or later on the source");
  });

  it("sizes the copy from the tree, not from df: a container whose df shows its node's 27.7 GiB is not blocked by a 5.8 GiB VM", async () => {
    const hosts = await deb();
    // simfs without quota: df inside the container reports the node's filesystem
    hosts.source.on("df -P -B1 /", {
      stdout: `Filesystem 1-blocks Used Available Capacity Mounted on\n/vz/private/101 ${Math.round(98 * GIB)} ${Math.round(27.7 * GIB)} ${Math.round(70.3 * GIB)} 29% /\n`,
    });
    hosts.target.on("df -P -B1 /", {
      stdout: `Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/vda1 ${Math.round(5.8 * GIB)} ${Math.round(2.8 * GIB)} ${Math.round(3.0 * GIB)} 48% /\n`,
    });
    // GNU du -sx -B1 then --apparent-size: what the copy moves (2.9 GiB); du -sx -B1 alone: what of the VM it
    // replaces (1.3 GiB), measured because the 3.0 GiB free alone is tight for it
    hosts.source.on(/^du -sx -B1 /, { stdout: `${Math.round(2.9 * GIB)}\t/\n${Math.round(2.7 * GIB)}\t/\n` });
    hosts.target.on(/^du -sx -B1 /, { stdout: `${Math.round(1.3 * GIB)}\t/\n` });
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.findings.filter((f) => /disk/i.test(f.title))).toEqual([]);
    expect(probe.details).toContain(
      "disk: the copy holds 2.9 GiB allocated, 2.7 GiB apparent (du -sx over /, the copy's excludes left out, hard links counted once); the target can hold 4.3 GiB: 3.0 GiB free plus 1.3 GiB of its own files the copy replaces",
    );
    const du = hosts.source.log.find((e) => e.kind === "exec" && e.command.startsWith("du "));
    expect(du?.kind === "exec" && du.command).toMatch(
      /^du -sx -B1 (--exclude=\S+ )+\/; du -sx -B1 --apparent-size (--exclude=\S+ )+\/$/,
    );
    expect(du?.kind === "exec" && du.command).toContain("--exclude=/boot ");
    // the target's side needs only the allocated bytes: one walk of its tree, not two
    const targetDu = hosts.target.log.filter((e) => e.kind === "exec" && e.command.startsWith("du "));
    expect(targetDu.map((e) => e.kind === "exec" && e.command)).toEqual([
      expect.stringMatching(/^du -sx -B1 (--exclude=\S+ )+\/$/),
    ]);
    expect(probe.facts?.targetReplaced).toEqual({
      allocatedBytes: Math.round(1.3 * GIB),
      measuredWith: "du -sx over the target's /, the copy's excludes left out, hard links counted once",
    });
  });

  it("leaves filesystems mounted inside the container out of the copy and lists them to recreate", async () => {
    const hosts = await deb();
    hosts.source.putFile(
      "/proc/self/mountinfo",
      [
        "1128 1056 182:371665 / / rw,relatime shared:546 - ext4 /dev/ploop23456p1 rw,data=ordered",
        "1129 1128 0:145 / /proc rw,nosuid,nodev,noexec,relatime shared:547 - proc proc rw",
        "1140 1128 182:371665 /srv/shared /var/www/shared rw,relatime shared:546 - ext4 /dev/ploop23456p1 rw,data=ordered",
        "1141 1128 0:160 / /srv/backup rw,relatime shared:560 - nfs4 198.18.0.5:/export/backup rw,vers=4.1,hard,proto=tcp",
        "",
      ].join("\n"),
    );
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    const found = probe.findings.find((f) => f.title === "Filesystems mounted in the source are not copied");
    expect(found).toMatchObject({
      blocks: false,
      summary: expect.stringContaining(
        "/var/www/shared (ext4 /dev/ploop23456p1, bind of /srv/shared); /srv/backup (nfs4 198.18.0.5:/export/backup)",
      ),
    });
    const rsync = probe.commands.find((c) => RSYNC_PASS.test(c.command))!.command;
    expect(rsync).toContain(" --exclude=/var/www/shared ");
    expect(rsync).toContain(" --exclude=/srv/backup ");
    const du = hosts.source.log.find((e) => e.kind === "exec" && e.command.startsWith("du "));
    expect(du?.kind === "exec" && du.command).toContain(" --exclude=/srv/backup ");
    expect(probe.facts?.sourceMountsToRecreate).toHaveLength(2);
    // One read of the source serves both the copy's layout and the measurements' (it was asked twice).
    const mountReads = hosts.source.log.filter((e) => e.kind === "exec" && e.command.includes("/proc/self/mountinfo"));
    expect(mountReads).toHaveLength(1);
  });

  it("does not walk the target's tree when its free space alone holds the copy", async () => {
    const hosts = await deb();
    hosts.target.on("df -P -B1 /", {
      stdout: `Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/vda1 ${20 * GIB} ${2 * GIB} ${18 * GIB} 10% /\n`,
    });
    hosts.source.on(/^du -sx -B1 /, { stdout: `${Math.round(2.9 * GIB)}\t/\n${Math.round(2.7 * GIB)}\t/\n` });
    hosts.target.on(/^du -sx -B1 /, { stdout: `${Math.round(1.3 * GIB)}\t/\n` });
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.findings.filter((f) => /disk/i.test(f.title))).toEqual([]);
    expect(probe.details).toContain(
      "disk: the copy holds 2.9 GiB allocated, 2.7 GiB apparent (du -sx over /, the copy's excludes left out, hard links counted once); the target has 18.0 GiB free, which holds it (its own files, which the copy replaces and which would make room, were not walked with du: not needed)",
    );
    expect(hosts.target.log.filter((e) => e.kind === "exec" && e.command.startsWith("du "))).toEqual([]);
    expect(probe.facts?.targetReplaced).toBeUndefined();
    expect(probe.facts?.targetDisk).toMatchObject({ usedBytes: 2 * GIB });
  });

  it("warns with the figures, and blocks only when even the smaller one does not fit", async () => {
    const fit = (allocated: number, apparent: number) =>
      copyFitFindings(
        { allocatedBytes: allocated * GIB, apparentBytes: apparent * GIB },
        3 * GIB,
        2 * GIB,
      ).findings.map((f) => `${f.title}:${f.blocks}`);
    expect(fit(4, 3)).toEqual([]);
    expect(fit(4.6, 3)).toEqual(["Target disk tight:false"]); // sparse files: apparent fits easily, allocated is close
    expect(fit(5.5, 5.2)).toEqual(["Target disk too small:true"]);
    expect(fit(6, 4)).toEqual(["Target disk tight:false"]);
  });

  it("without du it falls back to df, as a warning: df in a container may be the node's disk", async () => {
    const hosts = await deb();
    hosts.source.on("df -P -B1 /", {
      stdout: `Filesystem 1-blocks Used Available Capacity Mounted on\n/vz/private/101 ${98 * GIB} ${28 * GIB} ${70 * GIB} 29% /\n`,
    });
    hosts.target.on("df -P -B1 /", {
      stdout: `Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/vda1 ${6 * GIB} ${2 * GIB} ${4 * GIB} 29% /\n`,
    });
    hosts.source.on(/^du /, { code: 127, stderr: "sh: 1: du: not found\n" });
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.findings.filter((f) => /disk/i.test(f.title)).map((f) => `${f.title}:${f.blocks}`)).toEqual([
      "Target disk may be too small:false",
    ]);
  });

  it("with the migration key in place it dry-runs the copy and counts deletions for the gate", async () => {
    const hosts = await deb();
    hosts.source.putFile("/root/.mudanza-migrate/id_ed25519", "x").putFile("/root/.mudanza-migrate/known_hosts", "x");
    hosts.source.on(/^rsync .*--dry-run --itemize-changes/, {
      stdout: readFileSync("fixtures/hosts/rsync-output/dry-run-itemized.txt", "utf8"),
    });
    hosts.source.on(/^du -sx -B1 /, { stdout: "1258291200\t/\n1181116006\t/\n" });
    hosts.target.on(/^du -sx -B1 /, { stdout: "1258291200\t/\n" });
    const probe = await rsyncStep.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(probe.details).toContain("would delete 1 file(s) on the target that the source does not have");
    expect(probe.facts?.estimatedTransferBytes).toBe(0);
    expect(hosts.source.mutations).toEqual([]);
    // The first pass (content compared: no pass has completed), the later ones (quick check), then root's
    // keys put back on the target: run executes all three, so the gate shows all three.
    expect(probe.commands.map((c) => innerRsync(c.command))).toEqual([
      expect.stringMatching(/^rsync -aHAXS .* --checksum /),
      expect.stringMatching(/^rsync -aHAXS (?!.*--checksum)/),
      expect.stringMatching(/^mkdir -p -m 700 \/root\/\.ssh && .*grep -qxF /),
    ]);
    // Each pass runs under the copy's lock on the source (see lockedRsync).
    expect(probe.commands.slice(0, 2).every((c) => /flock -n 9/.test(c.command))).toBe(true);
  });

  it("lists every exclude with its reason, plan extras included", async () => {
    const hosts = await alma();
    const probe = await rsyncStep.probe(
      stepContext(await planFrom(ALMA, { extraExcludes: [{ path: "/srv/cache", reason: "rebuilt on the VM" }] }), hosts)
        .ctx,
    );
    const excludes = probe.facts?.excludes as Array<{ path: string; reason: string }>;
    for (const p of [
      "/etc/fstab",
      "/boot",
      "/proc",
      "/lib/modules",
      "/etc/udev",
      "/lib/udev",
      "/sys",
      "/usr/lib/modules",
      "/usr/lib/udev",
      "/dev",
      "/run",
      "/tmp",
      "/var/run",
      "/mnt",
      "/media",
      "/lost+found",
      "/etc/default/grub",
      "/etc/dracut.conf.d",
      "/etc/selinux/config",
      "/srv/cache",
    ]) {
      expect(excludes.map((e) => e.path)).toContain(p);
    }
    expect(excludes.every((e) => e.reason.length > 5)).toBe(true);
    expect(probe.commands.find((c) => RSYNC_PASS.test(c.command))?.command).toContain("--exclude=/srv/cache");
  });
});

describe("db-freeze probe", () => {
  const noneOfThem = (hosts: Awaited<ReturnType<typeof deb>>) =>
    hosts.source.on(/^systemctl show .* mariadb\.service/, (command) => ({
      stdout: command
        .split(" ")
        .filter((w) => w.endsWith(".service"))
        .map((u) => `Id=${u}\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n`)
        .join("\n"),
    }));

  it("warns when no database runs; a plan database that does not exist blocks (it would not be stopped)", async () => {
    const hosts = await deb();
    noneOfThem(hosts);
    const probe = await dbFreeze.probe(stepContext(await planFrom(DEBIAN, { databases: ["mongod"] }), hosts).ctx);
    expect(titles(probe.findings, false)).toEqual(["No running database found"]);
    expect(titles(probe.findings, true)).toEqual(["Database unit not found"]);
    expect(probe.commands.some((c) => c.command.startsWith("systemctl stop"))).toBe(false);
  });

  it("names a misspelt database unit as the plan wrote it and suggests the source's unit (found by new-user trial 9)", async () => {
    const hosts = await deb();
    // MariaDB runs (mysql.service is its alias); systemctl reads a name with an unknown type as a service
    hosts.source.on(/^systemctl show .* mariadb\.service/, (command) => ({
      stdout: command
        .split(" ")
        .slice(command.split(" ").indexOf("--") + 1)
        .map((u) =>
          ["mariadb.service", "mysql.service"].includes(u)
            ? "Id=mariadb.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n"
            : `Id=${u}\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n`,
        )
        .join("\n"),
    }));
    hosts.source.on(
      "systemctl list-unit-files --type=service --no-legend",
      // as systemd 252 prints it: unit, state, vendor preset (an alias says "alias")
      {
        stdout:
          "cron.service       enabled enabled\nmariadb.service    enabled enabled\nmysql.service      alias   -\n",
      },
    );
    const probe = await dbFreeze.probe(
      stepContext(await planFrom(DEBIAN, { databases: ["mariadb.servce", "postgress"] }), hosts).ctx,
    );
    const missing = probe.findings.filter((f) => f.title === "Database unit not found");
    expect(missing.map((f) => [f.blocks, f.summary, f.remediation])).toEqual([
      [
        true,
        expect.stringMatching(
          /^options\.databases names mariadb\.servce, which the source has no unit for \(did you mean mariadb\.service\?\): it would not be stopped/,
        ),
        expect.stringMatching(/^write mariadb\.service in options\.databases /),
      ],
      // nothing close: the unit looked for, and where the names are listed
      [
        true,
        expect.stringMatching(/^options\.databases names postgress\.service, which the source has no unit for: /),
        expect.stringMatching(/^check the name in options\.databases \(`systemctl list-unit-files --type=service`/),
      ],
    ]);
  });

  it("cutover leaves the source's databases stopped", async () => {
    const probe = await dbFreeze.probe(stepContext(await planFrom(DEBIAN, { cutover: true }), await deb()).ctx);
    expect(probe.details?.join("\n")).toMatch(/cutover/);
    expect(
      probe.commands.filter((c) => c.host === "source" && c.command === "systemctl start mariadb.service"),
    ).toEqual([]);
  });
});

describe("network-fixup probe", () => {
  it("blocks when the target's network service does not exist on the source", async () => {
    const hosts = await alma();
    hosts.source.on(/^systemctl show .* NetworkManager\.service/, {
      stdout:
        "Id=NetworkManager.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\nId=systemd-networkd.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\nId=networking.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n\nId=network.service\nLoadState=loaded\nActiveState=active\nUnitFileState=generated\n\nId=systemd-resolved.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n",
    });
    const probe = await networkFixup.probe(stepContext(await planFrom(ALMA), hosts).ctx);
    expect(titles(probe.findings, true)).toEqual(["Network service missing on the source"]);
    expect(probe.findings[0]!.remediation).toMatch(/NetworkManager/);
  });

  it("blocks when the target enforces SELinux and the source lacks the policy or setfiles", async () => {
    const hosts = await alma();
    hosts.source.on("rpm -q --qf '%{NAME}\\n' selinux-policy-targeted policycoreutils", {
      code: 1,
      stdout: "package selinux-policy-targeted is not installed\npolicycoreutils\n",
    });
    const probe = await networkFixup.probe(stepContext(await planFrom(ALMA), hosts).ctx);
    expect(titles(probe.findings, true)).toEqual(["SELinux policy missing on the source"]);
    expect(probe.findings[0]!.remediation).toMatch(/install selinux-policy-targeted on the source/);
  });

  it("blocks when the target uses netplan and the source has none", async () => {
    const hosts = await deb();
    hosts.target.putFile(
      "/etc/netplan/50-cloud-init.yaml",
      "network:\n  version: 2\n  ethernets:\n    ens3:\n      dhcp4: true\n",
      { mode: 0o600 },
    );
    hosts.target.on(/^find \/etc\/network\/interfaces\.d /, { stdout: "/etc/netplan/50-cloud-init.yaml\n", code: 1 });
    const probe = await networkFixup.probe(stepContext(await planFrom(DEBIAN), hosts).ctx);
    expect(titles(probe.findings, true)).toEqual(["netplan missing on the source"]);
    hosts.source.putFile("/usr/sbin/netplan", "");
    expect(titles((await networkFixup.probe(stepContext(await planFrom(DEBIAN), hosts).ctx)).findings, true)).toEqual(
      [],
    );
  });

  it("before the copy, plans from the source's venet files", async () => {
    const probe = await networkFixup.probe(stepContext(await planFrom(ALMA), await alma()).ctx);
    expect(probe.details).toEqual(
      expect.arrayContaining([
        "remove /etc/sysconfig/network-scripts/ifcfg-venet0: venet config written by OpenVZ",
        "remove /etc/sysconfig/network-scripts/ifcfg-venet0:0: venet config written by OpenVZ",
        "remove /etc/sysconfig/network-scripts/route-venet0: venet config written by OpenVZ",
      ]),
    );
    // the VM's own files are never copied over: nothing of them to restore
    expect(probe.details?.join("\n")).not.toMatch(/restore \/etc\/sysconfig\/network|ifcfg-ens3/);
    expect(probe.commands.map((c) => c.command)).toContain("touch /.autorelabel");
  });
});

/** A journaled copy pass, complete: facts are validated against their declared shape when read. */
const ONE_PASS = {
  pass: 1,
  kind: "live",
  code: 0,
  vanished: false,
  seconds: 1,
  transferredBytes: 1,
  deletedFiles: 0,
  files: 1,
  at: "2026-01-01T00:00:00.000Z",
};

describe("kernel-install probe", () => {
  it("before the copy: plans the install of exactly the running kernel", async () => {
    const probe = await kernelInstall.probe(stepContext(await planFrom(ALMA), await alma()).ctx);
    expect(probe.satisfied).toBe(false);
    expect(probe.details?.join("\n")).toMatch(
      /owned by kernel-core-4\.18\.0-513\.5\.1\.el8_9\.x86_64 now; the copy replaces the package database/,
    );
    expect(probe.commands.map((c) => c.command)).toEqual([
      "uname -r",
      "rpm -qf /boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64",
      "rm -f /var/lib/rpm/__db.0*",
      "dnf -y install kernel-4.18.0-513.5.1.el8_9.x86_64",
    ]);
  });

  it("after the copy: unowned kernel, lost bootloader packages are added", async () => {
    const hosts = await deb();
    hosts.target.on("dpkg -S /boot/vmlinuz-6.1.0-35-amd64", {
      code: 1,
      stderr: "dpkg-query: no path found matching pattern /boot/vmlinuz-6.1.0-35-amd64\n",
    });
    hosts.target.on(
      "dpkg-query -W -f '${db:Status-Abbrev} ${binary:Package}\\n' grub-common grub-pc grub-pc-bin grub2-common",
      { code: 1, stdout: "ii  grub-common\n", stderr: "dpkg-query: no packages found matching grub-pc\n" },
    );
    const identity = {
      capturedAt: "2026-01-01T00:00:00.000Z",
      kernelRelease: "6.1.0-35-amd64",
      network: [],
      networkUnits: [],
      fstab: null,
      resolvConf: null,
      bootFiles: [],
      bootPackages: ["grub-common", "grub-pc", "grub-pc-bin", "grub2-common"],
      hostKeyFingerprints: [],
      authorizedKeys: [],
      selinuxEnforcing: false,
    };
    const facts = { [FACT.syncPasses]: [ONE_PASS], [FACT.targetIdentity]: identity };
    const probe = await kernelInstall.probe(stepContext(await planFrom(DEBIAN), hosts, facts).ctx);
    expect(probe.satisfied).toBe(false);
    expect(probe.commands.at(-1)?.command).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef install linux-image-6.1.0-35-amd64 grub-pc grub-pc-bin grub2-common",
    );
  });

  it("after the copy and the install: satisfied; verify checks the owner and the initramfs", async () => {
    const hosts = await deb();
    const { ctx } = stepContext(await planFrom(DEBIAN), hosts, { [FACT.syncPasses]: [ONE_PASS] });
    expect((await kernelInstall.probe(ctx)).satisfied).toBe(true);
    expect((await kernelInstall.verify(ctx)).ok).toBe(true);
    hosts.target.deleteFile("/boot/initrd.img-6.1.0-35-amd64");
    expect((await kernelInstall.verify(ctx)).checks.find((c) => !c.ok)?.name).toBe("the initramfs exists");
  });
});
