import { describe, expect, it } from "vitest";
import { blocking, migratedVm } from "./harness.js";

const DHCP_INTERFACES = "auto lo\niface lo inet loopback\n\nallow-hotplug ens3\niface ens3 inet dhcp\n";

describe("pre-reboot check: the restored network config has what brings it up", () => {
  it("a working VM passes with nothing to block or repair", async () => {
    for (const family of ["debian", "rhel"] as const) {
      const { probe } = await migratedVm(family);
      const result = await probe();
      expect(blocking(result.findings)).toEqual([]);
      expect(result.satisfied).toBe(true);
      expect(result.details?.join("\n")).toMatch(/ok: the restored network config has its service and client/);
    }
  });

  it("Debian: iface inet dhcp without dhclient, dhcpcd or udhcpc blocks, naming the package to install", async () => {
    const { target, probe } = await migratedVm("debian");
    target.putFile("/etc/network/interfaces", DHCP_INTERFACES);
    const [finding, ...rest] = blocking((await probe()).findings);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ title: "No network client for the restored config", host: "target" });
    expect(finding!.summary).toMatch(/iface ens3 inet dhcp in \/etc\/network\/interfaces needs a DHCP client/);
    expect(finding!.remediation).toMatch(/apt-get install isc-dhcp-client/);
    // The client is there: nothing blocks.
    target.putFile("/usr/sbin/dhclient", "");
    expect(blocking((await probe()).findings)).toEqual([]);
  });

  it("Debian: ifupdown itself missing blocks", async () => {
    const { target, probe } = await migratedVm("debian");
    target.deleteFile("/usr/sbin/ifup");
    target.deleteFile("/usr/lib/systemd/system/networking.service");
    expect(blocking((await probe()).findings).map((f) => f.summary.replace(/,.*/, ""))).toEqual([
      "iface ens3 inet static in /etc/network/interfaces needs ifupdown (ifup and networking.service)",
      "iface ens3 inet static in /etc/network/interfaces needs networking.service (ifupdown's unit)",
    ]);
  });

  it("a NetworkManager keyfile without NetworkManager, a networkd file without networkd, block", async () => {
    const { target, probe } = await migratedVm("debian");
    target.putFile(
      "/etc/NetworkManager/system-connections/ens3.nmconnection",
      "[connection]\nid=ens3\ntype=ethernet\ninterface-name=ens3\n\n[ipv4]\nmethod=auto\n",
      { mode: 0o600 },
    );
    target.putFile("/etc/systemd/network/10-ens3.network", "[Match]\nName=ens3\n\n[Network]\nDHCP=yes\n");
    const found = blocking((await probe()).findings);
    expect(found.map((f) => f.summary.replace(/,.*/, ""))).toEqual([
      "/etc/NetworkManager/system-connections/ens3.nmconnection needs NetworkManager",
      "/etc/systemd/network/10-ens3.network needs systemd-networkd",
    ]);
    expect(found.every((f) => f.remediation)).toBe(true);
  });

  it("EL: ifcfg BOOTPROTO=dhcp read by network-scripts without dhclient blocks; NetworkManager's own DHCP does not", async () => {
    const { target, probe } = await migratedVm("rhel");
    const ifcfg = target.files
      .get("/etc/sysconfig/network-scripts/ifcfg-ens3")!
      .content.replace("BOOTPROTO=none", "BOOTPROTO=dhcp");
    target.putFile("/etc/sysconfig/network-scripts/ifcfg-ens3", ifcfg);
    expect(blocking((await probe()).findings)).toEqual([]);
    target.deleteFile("/usr/sbin/NetworkManager");
    target.putFile("/usr/libexec/network-scripts/ifup-eth", "");
    const [finding] = blocking((await probe()).findings);
    expect(finding!.summary).toMatch(/BOOTPROTO=dhcp in \/etc\/sysconfig\/network-scripts\/ifcfg-ens3 needs dhclient/);
    expect(finding!.remediation).toMatch(/dnf install dhcp-client/);
  });

  it("EL: ifcfg files with neither NetworkManager nor network-scripts block", async () => {
    const { target, probe } = await migratedVm("rhel");
    target.deleteFile("/usr/sbin/NetworkManager");
    const [finding, ...rest] = blocking((await probe()).findings);
    expect(rest).toEqual([]);
    expect(finding!.summary).toMatch(/needs a service that reads ifcfg files/);
    expect(finding!.remediation).toMatch(/dnf install NetworkManager/);
  });
});
