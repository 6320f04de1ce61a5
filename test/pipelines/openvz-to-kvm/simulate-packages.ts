import { readFileSync } from "node:fs";
import type { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { installedListCommand, parseInstalledList } from "../../../src/steps/packages/installed-packages.js";
import { parseDnfList } from "../../../src/steps/packages/dnf-output.js";
import { parseMadison, type InstalledPackage } from "../../../src/steps/packages/reinstall-plan.js";
import { words } from "./simulate.js";

/**
 * The target's package database through a migration: the VM's list (its fixture), then after a pass the
 * container's (the source fixture's list), then whatever kernel-install and restore-vm-packages install.
 * Lists print in the real tools' formats; versions of bare names are the repositories' candidates.
 */
export interface PackageWorld {
  installed: Map<string, InstalledPackage>;
  replaceByContainer(): void;
  /** kernel-install's arguments: the kernel package and the boot packages, at the VM's versions. */
  installKernel(args: string[]): void;
}

const FILES = {
  debian: {
    vm: "fixtures/hosts/debian-12-kvm-target/packages/dpkg-query-before-copy.txt",
    container: "fixtures/hosts/debian-12-openvz-source/packages/dpkg-query.txt",
    offered: "fixtures/hosts/debian-12-kvm-target/packages/madison-restore.txt",
  },
  rhel: {
    vm: "fixtures/hosts/almalinux-8.9-kvm-target/packages/rpm-qa-before-copy.txt",
    container: "fixtures/hosts/almalinux-8.9-openvz-source/packages/rpm-qa.txt",
    offered: "fixtures/hosts/almalinux-8.9-kvm-target/packages/dnf-list-restore.txt",
  },
} as const;

export function installedPackages(target: ScriptedHost, family: "debian" | "rhel"): PackageWorld {
  const read = (path: string): InstalledPackage[] => parseInstalledList(family, readFileSync(path, "utf8"));
  const vm = read(FILES[family].vm);
  const offered = (family === "debian" ? parseMadison : parseDnfList)(readFileSync(FILES[family].offered, "utf8"));
  const installed = new Map(vm.map((p) => [p.name, p]));
  const fromVm = (name: string): void => {
    const p = vm.find((v) => v.name === name);
    if (p) installed.set(name, p);
  };
  const line = (p: InstalledPackage): string =>
    family === "debian"
      ? `${p.name}\t${p.version}\tinstall ok installed\t${p.arch ?? "amd64"}\n`
      : `${p.name}\t${p.version}\t${p.arch ?? "x86_64"}\n`;

  target.on(installedListCommand(family), () => ({
    stdout: [...installed.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(line)
      .join(""),
  }));
  // The same query for some names (verify): absent ones are reported and make the exit code 1.
  const some = family === "debian" ? /^dpkg-query -W -f '\$\{Package\}\\t.* \S+$/ : /^rpm -q --qf '%\{NAME\}\\t.* \S+$/;
  target.on(some, (command) => {
    const names = words(command).slice(4);
    const missing = names.filter((n) => !installed.has(n));
    return {
      // rpm -q prints its "not installed" line on stdout, dpkg-query its "no packages found" on stderr.
      stdout: names
        .map((n) =>
          installed.has(n) ? line(installed.get(n)!) : family === "rhel" ? `package ${n} is not installed\n` : "",
        )
        .join(""),
      stderr: family === "debian" ? missing.map((n) => `dpkg-query: no packages found matching ${n}\n`).join("") : "",
      code: missing.length > 0 ? 1 : 0,
    };
  });
  // restore-vm-packages' install (kernel-install's starts with the kernel package and has its own rule).
  const restore =
    family === "debian"
      ? /^DEBIAN_FRONTEND=noninteractive apt-get -y .* install (?!linux-image-\d)/
      : /^dnf -y install (?!kernel-\d)/;
  target.on(
    restore,
    (command) => {
      const w = words(command);
      for (const spec of w.slice(w.indexOf("install") + 1)) {
        const pinned = vm.find(
          (p) => spec === (family === "debian" ? `${p.name}=${p.version}` : `${p.name}-${p.version}`),
        );
        const name = pinned?.name ?? spec;
        const arch = vm.find((p) => p.name === name)?.arch;
        installed.set(name, {
          name,
          version: pinned?.version ?? offered.get(name)?.[0] ?? "?",
          ...(arch ? { arch } : {}),
        });
      }
      return { stdout: family === "debian" ? "Setting up isc-dhcp-client (4.4.3-P1-2) ...\n" : "Complete!\n" };
    },
    { mutates: true },
  );

  return {
    installed,
    replaceByContainer() {
      installed.clear();
      for (const p of read(FILES[family].container)) installed.set(p.name, p);
    },
    installKernel(args) {
      for (const arg of args) {
        // EL: "kernel-RELEASE" stands for the kernel's packages at that release.
        if (family === "rhel" && /^kernel-\d/.test(arg)) ["kernel", "kernel-core", "kernel-modules"].forEach(fromVm);
        else fromVm(arg);
      }
    },
  };
}
