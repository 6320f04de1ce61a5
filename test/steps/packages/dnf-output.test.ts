import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dnfProblem, dnfRemovals, parseDnfList, rpmSpec } from "../../../src/steps/packages/dnf-output.js";
import { parseInstalledList } from "../../../src/steps/packages/installed-packages.js";

const alma = (name: string): string => readFileSync(`fixtures/hosts/almalinux-8.9-kvm-target/packages/${name}`, "utf8");

describe("the EL family's package manager output", () => {
  it("rpm -qa with the epoch only where a package has one; rpm's signing keys are not packages", () => {
    const vm = parseInstalledList("rhel", alma("rpm-qa-before-copy.txt"));
    expect(vm).toContainEqual({ name: "dhcp-client", version: "12:4.3.6-49.el8", arch: "x86_64" });
    expect(vm).toContainEqual({ name: "coreutils", version: "8.30-15.el8", arch: "x86_64" });
    expect(vm.map((p) => p.name)).not.toContain("gpg-pubkey");
    // An explicit epoch 0 is how dnf shows no epoch at all.
    expect(parseInstalledList("rhel", "tzdata\t0:2023c-1.el8\tnoarch\n")).toEqual([
      { name: "tzdata", version: "2023c-1.el8", arch: "noarch" },
    ]);
  });

  it("dnf --showduplicates list: every offered version newest first, a name too long for its column wrapped", () => {
    const offered = parseDnfList(alma("dnf-list-restore.txt"));
    expect(offered.get("dhcp-client")).toEqual(["12:4.3.6-49.el8"]);
    expect(offered.get("cloud-utils-growpart")).toEqual(["0.33-0.el8"]);
    const wrapped = parseDnfList(
      [
        "Last metadata expiration check: 0:01:02 ago on Tue 05 Dec 2023 10:14:21 AM UTC.",
        "Installed Packages",
        "qemu-guest-agent.x86_64            15:6.2.0-40.module_el8.9.0+3681+41cbbc89          @appstream",
        "Available Packages",
        "qemu-guest-agent.x86_64            15:6.2.0-39.module_el8.9.0+3619+4a4fc7d2          appstream",
        "NetworkManager-initscripts-updown.noarch",
        "                                   1:1.40.16-9.el8                                    baseos",
        "qemu-guest-agent.x86_64            15:6.2.0-40.module_el8.9.0+3681+41cbbc89          appstream",
        "",
      ].join("\n"),
    );
    expect(wrapped.get("qemu-guest-agent")).toEqual([
      "15:6.2.0-40.module_el8.9.0+3681+41cbbc89",
      "15:6.2.0-39.module_el8.9.0+3619+4a4fc7d2",
    ]);
    expect(wrapped.get("NetworkManager-initscripts-updown")).toEqual(["1:1.40.16-9.el8"]);
  });

  it("dnf's dry run: a conflict is its Problem lines; a transaction that resolves is no refusal", () => {
    expect(dnfProblem(alma("dnf-assumeno-conflict.txt"))).toBe(
      "problem with installed package coreutils-single-8.30-15.el8.x86_64; package coreutils-8.30-15.el8.x86_64 conflicts with coreutils-single provided by coreutils-single-8.30-15.el8.x86_64",
    );
    expect(dnfProblem(alma("dnf-assumeno-dhcp-client.txt"))).toBeNull();
    expect(dnfRemovals(alma("dnf-assumeno-dhcp-client.txt"))).toEqual([]);
  });

  it("the packages a transaction would remove, from its Removing sections", () => {
    const table = [
      "Dependencies resolved.",
      "================================================================================",
      " Package          Architecture  Version                  Repository       Size",
      "================================================================================",
      "Installing:",
      " ntpsec           x86_64        1.2.2-1.el9              epel            1.1 M",
      "Removing:",
      " chrony           x86_64        4.3-1.el9                @baseos         612 k",
      "Removing dependent packages:",
      " chrony-helper    noarch        4.3-1.el9                @baseos          12 k",
      "",
      "Transaction Summary",
      "================================================================================",
      "Install  1 Package",
      "Remove   2 Packages",
    ].join("\n");
    expect(dnfRemovals(table)).toEqual(["chrony", "chrony-helper"]);
  });

  it("an exact version is name-[epoch:]version-release, the candidate the bare name", () => {
    expect(rpmSpec("dhcp-client", "12:4.3.6-49.el8")).toBe("dhcp-client-12:4.3.6-49.el8");
    expect(rpmSpec("cloud-utils-growpart", null)).toBe("cloud-utils-growpart");
  });
});
