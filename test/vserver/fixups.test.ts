import { cp, lstat, mkdir, mkdtemp, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import {
  applyChange,
  DEVICE_NODES,
  FIXUPS,
  missingDevicesCommand,
  planFixups,
  startLinksCommand,
  type PlannedFixup,
} from "../../src/vserver/fixups.js";
import type { GuestRelease } from "../../src/vserver/release.js";

const debian: GuestRelease = {
  family: "debian",
  id: "debian",
  version: "6.0.10",
  pretty: "Debian 6.0.10",
  source: "/etc/debian_version",
};
const centos: GuestRelease = {
  family: "rhel",
  id: "centos",
  version: "5.11",
  pretty: "CentOS release 5.11 (Final)",
  source: "/etc/redhat-release",
};
const byId = (planned: PlannedFixup[]) => Object.fromEntries(planned.map((f) => [f.id, f.changes]));

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** The web1 guest tree copied to a real directory: fix-ups run for real there. */
async function web1Tree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-fixup-"));
  temps.push(dir);
  await cp("fixtures/hosts/vserver-host-web1/files/vservers/web1", join(dir, "root"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  return join(dir, "root");
}

describe("container fix-ups", () => {
  it("every fix-up says why", () => {
    for (const fixup of FIXUPS) expect(fixup.why.length, fixup.id).toBeGreaterThan(30);
    expect(new Set(FIXUPS.map((f) => f.id)).size).toBe(FIXUPS.length);
  });

  it("plans the Debian guest's fix-ups read-only, applies them with backups, and then has nothing left to do", async () => {
    const root = await web1Tree();
    const host = new LocalHost("target");
    const originalInittab = await readFile(join(root, "etc/inittab"), "utf8");
    const planned = await planFixups({ host, root, release: debian });
    const changes = byId(planned);
    expect(changes["inittab-gettys"]).toHaveLength(1);
    expect(changes.mtab).toEqual([
      expect.objectContaining({ kind: "symlink", path: "etc/mtab", target: "/proc/mounts" }),
    ]);
    expect(changes.fstab).toEqual([]); // debootstrap's "UNCONFIGURED" fstab mounts nothing
    expect(changes["device-nodes"]!.map((c) => c.path)).toEqual(DEVICE_NODES.map((d) => `dev/${d.name}`)); // git stores no device nodes
    expect(changes["pointless-services"]!.map((c) => c.path)).toEqual(["etc/rc2.d/S02ntp", "etc/rcS.d/S05hwclock.sh"]);
    expect(changes["venet-network"]).toHaveLength(1);
    expect(changes["hosts-localhost"]).toEqual([]);
    // planning changed nothing
    expect(await readFile(join(root, "etc/inittab"), "utf8")).toBe(originalInittab);

    const backup = join(root, "root/mudanza-backup");
    for (const fixup of planned) for (const change of fixup.changes) await applyChange(host, root, backup, change);

    const inittab = await readFile(join(root, "etc/inittab"), "utf8");
    expect(inittab.split("\n").filter((l) => /^#\d:\d+:respawn:\/sbin\/getty 38400 tty\d$/.test(l))).toHaveLength(6);
    expect(inittab).toContain("\nl2:2:wait:/etc/init.d/rc 2\n"); // the rest is untouched
    expect(await readFile(join(backup, "etc/inittab"), "utf8")).toBe(originalInittab);
    expect(await readlink(join(root, "etc/mtab"))).toBe("/proc/mounts");
    expect(await readFile(join(backup, "etc/mtab"), "utf8")).toBe("/dev/hdv1 / ufs defaults 0 0\n");
    const console = await lstat(join(root, "dev/console"));
    expect(console.isCharacterDevice()).toBe(true);
    expect([Math.floor(console.rdev / 256), console.rdev % 256, console.mode & 0o777]).toEqual([5, 1, 0o600]);
    expect((await lstat(join(root, "dev/null"))).rdev).toBe(1 * 256 + 3);
    await expect(lstat(join(root, "etc/rc2.d/S02ntp"))).rejects.toThrow(/ENOENT/);
    expect(await readlink(join(backup, "etc/rc2.d/S02ntp"))).toBe("../init.d/ntp");
    expect(await readlink(join(root, "etc/rc2.d/S02ssh"))).toBe("../init.d/ssh"); // a real service stays
    expect(await readFile(join(root, "etc/network/interfaces"), "utf8")).not.toMatch(/eth0/);
    expect(await readFile(join(backup, "etc/network/interfaces"), "utf8")).toMatch(/iface eth0 inet static/);

    const again = await planFixups({ host, root, release: debian });
    expect(again.flatMap((f) => f.changes)).toEqual([]);
  });

  it("leaves the console gettys vzctl 4's set_console.sh appends at start", async () => {
    const root = await web1Tree();
    const host = new LocalHost("target");
    const inittab = FIXUPS.find((f) => f.id === "inittab-gettys")!;
    for (const change of await inittab.plan({ host, root, release: debian }))
      await applyChange(host, root, join(root, "root/mudanza-backup"), change);
    const fixed = await readFile(join(root, "etc/inittab"), "utf8");
    await host.writeFile(
      join(root, "etc/inittab"),
      `${fixed}1:2345:respawn:/sbin/getty 38400 console\n2:2345:respawn:/sbin/getty 38400 tty2\n`,
    );
    expect(await inittab.plan({ host, root, release: debian })).toEqual([]);
  });

  it("leaves vzctl's own venet stanzas alone once the container ran", async () => {
    const root = await web1Tree();
    const host = new LocalHost("target");
    await host.writeFile(
      join(root, "etc/network/interfaces"),
      "# This configuration file is auto-generated.\nauto lo\niface lo inet loopback\n\n# Auto generated venet0 interface\nauto venet0\niface venet0 inet static\n\taddress 127.0.0.1\n\nauto venet0:0\niface venet0:0 inet static\n\taddress 198.18.10.21\n",
    );
    const venet = FIXUPS.find((f) => f.id === "venet-network")!;
    expect(await venet.plan({ host, root, release: debian })).toEqual([]);
  });

  it("plans the Red Hat guest's fix-ups: fstab devices and swap, ifcfg-eth0 ONBOOT, localhost", async () => {
    const host = await loadScriptedHost("fixtures/vserver/db1-centos5", "source");
    host.on(missingDevicesCommand("/vservers/db1"), { stdout: "" });
    host.on(startLinksCommand("/vservers/db1"), { stdout: "" });
    const changes = byId(await planFixups({ host, root: "/vservers/db1", release: centos }));
    const fstab = changes.fstab![0]!;
    expect(fstab.kind === "rewrite" && fstab.content.split("\n").filter((l) => l.startsWith("#"))).toEqual([
      "#LABEL=/                 /                       ext3    defaults        1 1",
      "#LABEL=SWAP-sda2         swap                    swap    defaults        0 0",
    ]);
    expect(changes["venet-network"]).toEqual([
      expect.objectContaining({
        path: "etc/sysconfig/network-scripts/ifcfg-eth0",
        content: expect.stringContaining("\nONBOOT=no\n"),
      }),
      expect.objectContaining({
        path: "etc/sysconfig/network",
        content: "NETWORKING=yes\nNETWORKING_IPV6=no\nHOSTNAME=db1.example.net\n#GATEWAY=198.18.20.1\n",
      }),
    ]);
    expect(changes["hosts-localhost"]).toEqual([
      expect.objectContaining({
        content: "198.18.20.11\tdb1.example.net db1\n127.0.0.1 localhost.localdomain localhost\n",
      }),
    ]);
    expect(changes.mtab).toEqual([]); // already a link to /proc/mounts
    expect(changes["inittab-gettys"]).toEqual([]);
  });

  it("stops upstart's tty gettys with override files (Ubuntu guests)", async () => {
    const root = await web1Tree();
    const host = new LocalHost("target");
    await host.exec(`mkdir -p ${root}/etc/init`);
    await host.writeFile(
      join(root, "etc/init/tty1.conf"),
      "# tty1 - getty\nstart on stopped rc RUNLEVEL=[2345]\nrespawn\nexec /sbin/getty -8 38400 tty1\n",
    );
    await host.writeFile(join(root, "etc/init/tty2.conf"), "# tty2 - getty\nrespawn\nexec /sbin/getty -8 38400 tty2\n");
    const upstart = FIXUPS.find((f) => f.id === "upstart-gettys")!;
    const changes = await upstart.plan({ host, root, release: debian });
    expect(changes.map((c) => c.path)).toEqual(["etc/init/tty1.override"]); // tty2 is vzctl console's
    for (const change of changes) await applyChange(host, root, join(root, "root/mudanza-backup"), change);
    expect(await readFile(join(root, "etc/init/tty1.override"), "utf8")).toBe("manual\n");
    expect(await upstart.plan({ host, root, release: debian })).toEqual([]);
  });

  it("leaves vzctl's fake gateway alone in a Red Hat guest that already ran as a container", async () => {
    const host = await loadScriptedHost("fixtures/vserver/db1-centos5", "source");
    host.on(missingDevicesCommand("/vservers/db1"), { stdout: "" });
    host.on(startLinksCommand("/vservers/db1"), { stdout: "" });
    host.putFile(
      "/vservers/db1/etc/sysconfig/network",
      'NETWORKING="yes"\nHOSTNAME=db1.example.net\n#GATEWAY=198.18.20.1\nGATEWAY="191.255.255.1"\n',
    );
    const venet = FIXUPS.find((f) => f.id === "venet-network")!;
    const changes = await venet.plan({ host, root: "/vservers/db1", release: centos });
    expect(changes.map((c) => c.path)).toEqual(["etc/sysconfig/network-scripts/ifcfg-eth0"]);
  });

  it("masks the systemd units of pointless services", async () => {
    const host = await loadScriptedHost("fixtures/vserver/db1-centos5", "source");
    host.on(missingDevicesCommand("/vservers/db1"), { stdout: "" });
    host.on(startLinksCommand("/vservers/db1"), { stdout: "" });
    host.putFile(
      "/vservers/db1/usr/lib/systemd/system/systemd-udevd.service",
      "[Unit]\nDescription=udev Kernel Device Manager\n",
    );
    host.putFile("/vservers/db1/usr/lib/systemd/system/sshd.service", "[Unit]\nDescription=OpenSSH server daemon\n");
    const services = byId(await planFixups({ host, root: "/vservers/db1", release: centos }))["pointless-services"];
    expect(services).toEqual([
      expect.objectContaining({
        kind: "symlink",
        path: "etc/systemd/system/systemd-udevd.service",
        target: "/dev/null",
      }),
    ]);
  });
});

describe("NIS domain name (uts/domainname)", () => {
  it("adds NISDOMAIN to a Red Hat guest's sysconfig/network on top of the venet change, and backs up the guest's own file once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-fixup-"));
    temps.push(dir);
    const root = join(dir, "root");
    await cp("fixtures/vserver/db1-centos5/files/vservers/db1", root, { recursive: true, verbatimSymlinks: true });
    await mkdir(join(root, "dev"), { recursive: true }); // the trimmed fixture has no /dev; a guest always does
    const original = await readFile(join(root, "etc/sysconfig/network"), "utf8");
    const host = new LocalHost("target");
    const planned = await planFixups({ host, root, release: centos, nisDomain: "nis.example.net" });
    expect(byId(planned)["nis-domainname"]).toEqual([
      expect.objectContaining({
        path: "etc/sysconfig/network",
        detail: expect.stringMatching(/^NISDOMAIN=nis\.example\.net/),
      }),
    ]);
    const backup = join(root, "root/mudanza-backup");
    for (const fixup of planned) for (const change of fixup.changes) await applyChange(host, root, backup, change);
    expect(await readFile(join(root, "etc/sysconfig/network"), "utf8")).toBe(
      "NETWORKING=yes\nNETWORKING_IPV6=no\nHOSTNAME=db1.example.net\n#GATEWAY=198.18.20.1\nNISDOMAIN=nis.example.net\n",
    );
    expect(await readFile(join(backup, "etc/sysconfig/network"), "utf8")).toBe(original);
    expect(
      byId(await planFixups({ host, root, release: centos, nisDomain: "nis.example.net" }))["nis-domainname"],
    ).toEqual([]);
  });

  it("writes /etc/defaultdomain in a Debian guest, and nothing without a domain", async () => {
    const root = await web1Tree();
    const host = new LocalHost("target");
    const nis = FIXUPS.find((f) => f.id === "nis-domainname")!;
    expect(await nis.plan({ host, root, release: debian })).toEqual([]);
    const changes = await nis.plan({ host, root, release: debian, nisDomain: "nis.example.net" });
    expect(changes).toEqual([
      expect.objectContaining({ kind: "rewrite", path: "etc/defaultdomain", content: "nis.example.net\n" }),
    ]);
  });
});
