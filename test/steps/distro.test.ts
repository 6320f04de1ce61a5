import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { debian } from "../../src/distro/debian.js";
import { isSupported, knowledgeFor, readRelease } from "../../src/distro/index.js";
import { rhel, stripVenetFromSysconfigNetwork } from "../../src/distro/rhel.js";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { readFile } from "node:fs/promises";
import { requireFamily } from "../../src/steps/host/probes.js";

async function hostWithRelease(dir: string): Promise<ScriptedHost> {
  const host = new ScriptedHost("target");
  for (const f of readdirSync(`fixtures/distros/${dir}/etc`))
    host.putFile(`/etc/${f}`, await readFile(`fixtures/distros/${dir}/etc/${f}`, "utf8"));
  return host;
}

describe("release detection on every supported release", () => {
  it.each([
    ["centos-7.9", "centos", "7", "7.9.2009", "rhel"],
    ["almalinux-8.9", "almalinux", "8.9", "8.9", "rhel"],
    ["almalinux-9.3", "almalinux", "9.3", "9.3", "rhel"],
    ["rocky-9.3", "rocky", "9.3", "9.3", "rhel"],
    ["debian-10.13", "debian", "10", "10.13", "debian"],
    ["debian-11.9", "debian", "11", "11.9", "debian"],
    ["debian-12.11", "debian", "12", "12.11", "debian"],
    ["ubuntu-20.04.6", "ubuntu", "20.04", "20.04.6", "debian"],
    ["ubuntu-22.04.4", "ubuntu", "22.04", "22.04.4", "debian"],
    ["ubuntu-24.04.1", "ubuntu", "24.04", "24.04.1", "debian"],
  ])("%s: ID %s, VERSION_ID %s, point %s, family %s", async (dir, id, versionId, point, family) => {
    const release = await readRelease(await hostWithRelease(dir));
    expect(release).toMatchObject({ id, versionId, point, family });
    expect(isSupported(release!)).toBe(true);
    expect(knowledgeFor(release!).family).toBe(family);
  });

  it("refuses what it does not know", async () => {
    const host = new ScriptedHost("x").putFile(
      "/etc/os-release",
      'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
    );
    const release = await readRelease(host);
    expect(release?.family).toBe("unknown");
    expect(() => knowledgeFor(release!)).toThrow(/neither RHEL-like nor Debian-like/);
    expect(await readRelease(new ScriptedHost("empty"))).toBeNull();
    const old = await readRelease(new ScriptedHost("c6").putFile("/etc/os-release", 'ID="centos"\nVERSION_ID="6"\n'));
    expect(isSupported(old!)).toBe(false);
  });
});

describe("package database answers", () => {
  it("rpm -qf: owned and unowned", () => {
    expect(rhel.parseOwner(0, "kernel-core-4.18.0-513.5.1.el8_9.x86_64\n")).toBe(
      "kernel-core-4.18.0-513.5.1.el8_9.x86_64",
    );
    expect(
      rhel.parseOwner(1, "file /boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64 is not owned by any package\n"),
    ).toBeNull();
    expect(rhel.kernelPackage("3.10.0-1160.el7.x86_64")).toBe("kernel-3.10.0-1160.el7.x86_64");
  });

  it("dpkg -S: owned (also with a diverted or multi-package answer) and unowned", () => {
    expect(debian.parseOwner(0, "linux-image-6.1.0-35-amd64: /boot/vmlinuz-6.1.0-35-amd64\n")).toBe(
      "linux-image-6.1.0-35-amd64",
    );
    expect(debian.parseOwner(0, "dpkg: /usr/bin/dpkg\n")).toBe("dpkg");
    expect(debian.parseOwner(1, "")).toBeNull();
    expect(debian.kernelPackage("6.1.0-35-amd64")).toBe("linux-image-6.1.0-35-amd64");
  });

  it("installed packages from rpm -q and dpkg-query (real formats)", () => {
    expect(rhel.parseInstalled("grub2-pc\npackage shim-x64 is not installed\n")).toEqual(["grub2-pc"]);
    expect(debian.parseInstalled("ii  dpkg\nii  dpkg-dev\nun  grub\nun  grub-cloud-amd64\nii  grub-common\n")).toEqual([
      "dpkg",
      "dpkg-dev",
      "grub-common",
    ]);
  });

  it("EL7 uses yum, EL8+ dnf; Debian keeps changed config files", async () => {
    const el7 = (await readRelease(await hostWithRelease("centos-7.9")))!;
    const el9 = (await readRelease(await hostWithRelease("almalinux-9.3")))!;
    expect(rhel.updateCommands(el7)).toEqual(["yum -y update"]);
    expect(rhel.install(el7, ["kernel-3.10.0-1160.el7.x86_64"])).toBe("yum -y install kernel-3.10.0-1160.el7.x86_64");
    expect(rhel.updateCommands(el9)).toEqual(["dnf -y upgrade"]);
    const deb = (await readRelease(await hostWithRelease("debian-12.11")))!;
    expect(debian.updateCommands(deb).at(-1)).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef dist-upgrade",
    );
    expect(rhel.packageDbRepair).toEqual(["rm -f /var/lib/rpm/__db.0*"]);
  });
});

describe("venet config as vzctl writes it", () => {
  it("RHEL: ifcfg-venet0, its aliases and routes are venet; the VM's ifcfg is not", async () => {
    const source = await loadScriptedHost("fixtures/hosts/almalinux-8.9-openvz-source", "source");
    for (const p of [
      "/etc/sysconfig/network-scripts/ifcfg-venet0",
      "/etc/sysconfig/network-scripts/ifcfg-venet0:0",
      "/etc/sysconfig/network-scripts/route-venet0",
    ]) {
      expect(rhel.network.isVenet(p, await source.readFile(p))).toBe(true);
    }
    expect(rhel.network.isVenet("/etc/sysconfig/network-scripts/ifcfg-ens3", "DEVICE=ens3\n")).toBe(false);
    expect(
      rhel.network.isVenet(
        "/etc/NetworkManager/system-connections/venet0.nmconnection",
        "[connection]\nid=venet0\ninterface-name=venet0\n",
      ),
    ).toBe(true);
    expect(stripVenetFromSysconfigNetwork(await source.readFile("/etc/sysconfig/network"))).toBe('NETWORKING="yes"\n');
    expect(
      stripVenetFromSysconfigNetwork(
        'NETWORKING="yes"\nGATEWAYDEV="venet0"\nNETWORKING_IPV6="yes"\nIPV6_DEFAULTDEV="venet0"\nGATEWAY=191.255.255.1\n',
      ),
    ).toBe('NETWORKING="yes"\nNETWORKING_IPV6="yes"\n');
  });

  it("Debian: the generated interfaces file is venet, the VM's is not", async () => {
    const source = await loadScriptedHost("fixtures/hosts/debian-12-openvz-source", "source");
    const target = await loadScriptedHost("fixtures/hosts/debian-12-kvm-target", "target");
    expect(debian.network.isVenet("/etc/network/interfaces", await source.readFile("/etc/network/interfaces"))).toBe(
      true,
    );
    expect(debian.network.isVenet("/etc/network/interfaces", await target.readFile("/etc/network/interfaces"))).toBe(
      false,
    );
    expect(
      debian.network.isVenet(
        "/etc/network/interfaces",
        "auto venet0\niface venet0 inet manual\n\tup ifconfig venet0 up\n",
      ),
    ).toBe(true);
  });
});

describe("requireFamily: the one opening of probes that need family knowledge", () => {
  it("a known release gives its family knowledge", async () => {
    const known = await requireFamily(await hostWithRelease("debian-12.11"), "target", "x");
    expect("blocker" in known).toBe(false);
    if (!("blocker" in known)) expect(known.family).toBe(debian);
  });

  it("an unknown one is a blocker naming the system, the role and what cannot be done", async () => {
    const unknown = await requireFamily(
      await hostWithRelease("alpine-3.19"),
      "target",
      "its network config cannot be fixed",
    );
    expect("blocker" in unknown && unknown.blocker).toMatchObject({
      blocks: true,
      host: "target",
      summary: expect.stringMatching(
        /the target runs Alpine Linux v3\.19 \(ID=alpine\).*its network config cannot be fixed/,
      ),
    });
  });
});
