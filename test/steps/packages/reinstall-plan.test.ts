import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseDpkgList,
  parseMadison,
  planReinstall,
  removedByCopy,
  removalReason,
  simulatedRemovals,
} from "../../../src/steps/packages/reinstall-plan.js";

const real = (name: string): string => readFileSync(`fixtures/hosts/debian-12-kvm-target/packages/${name}`, "utf8");

describe("reinstalling what the copy removed from the VM (Debian output formats, captured)", () => {
  it("reads installed packages only from dpkg-query", () => {
    const vm = parseDpkgList(`${real("dpkg-query-vm.txt")}dhcpcd5\t9.4.1-24~deb12u4\tdeinstall ok config-files\n`);
    expect(vm).toContainEqual({ name: "linux-image-amd64", version: "6.1.192-3" });
    expect(vm).toContainEqual({ name: "openssh-server", version: "1:9.2p1-2+deb12u10" });
    expect(vm.map((p) => p.name)).not.toContain("dhcpcd5");
  });

  it("apt-cache madison gives every offered version; the simulation names what an install would remove", () => {
    expect(parseMadison(real("madison.txt")).get("linux-image-amd64")).toEqual(["6.1.192-3", "6.1.176-1"]);
    expect(simulatedRemovals(real("simulate-removes.txt"))).toEqual(["systemd-timesyncd"]);
    expect(simulatedRemovals(real("simulate-clean.txt"))).toEqual([]);
  });

  it("exact versions where offered, the candidate with a report line where not, conflicts and vanished packages as exceptions", () => {
    const vm = parseDpkgList(real("dpkg-query-vm.txt"));
    // The container brought openssh-server, kmod and udev; the VM also had ntpsec and a package no repository has now.
    const container = vm.filter((p) => ["openssh-server", "kmod", "udev"].includes(p.name));
    const removed = removedByCopy(
      [...vm, { name: "ntpsec", version: "1.2.2+dfsg1-1+deb12u1" }, { name: "vendor-agent", version: "2.1" }],
      container,
    );
    expect(removed.map((p) => p.name)).toEqual([
      "initramfs-tools",
      "initramfs-tools-core",
      "isc-dhcp-client",
      "isc-dhcp-common",
      "linux-image-6.1.0-57-amd64",
      "linux-image-amd64",
      "systemd-timesyncd",
      "ntpsec",
      "vendor-agent",
    ]);
    // madison was asked for these four (its captured output): the VM's linux-image-amd64 was an older point release.
    const asked = removed
      .filter((p) => ["isc-dhcp-client", "linux-image-amd64", "ntpsec", "vendor-agent"].includes(p.name))
      .map((p) => (p.name === "linux-image-amd64" ? { ...p, version: "6.1.140-1" } : p));
    const plan = planReinstall(
      asked,
      parseMadison(real("madison.txt")),
      new Map([["ntpsec", removalReason(simulatedRemovals(real("simulate-removes.txt")))]]),
    );
    expect(plan.install).toEqual(["isc-dhcp-client=4.4.3-P1-2", "linux-image-amd64"]);
    expect(plan.exceptions).toEqual([
      { name: "ntpsec", reason: "installing it would remove systemd-timesyncd, which the container runs" },
      { name: "vendor-agent", reason: "no repository offers it any more" },
    ]);
    expect(plan.report).toContain(
      "linux-image-amd64: the VM had 6.1.140-1, which no repository offers now; the candidate 6.1.192-3 is installed",
    );
    expect(plan.report).toContain(
      "ntpsec: not reinstalled, installing it would remove systemd-timesyncd, which the container runs",
    );
  });
});
