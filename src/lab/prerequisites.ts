import { accessSync, constants } from "node:fs";
import { join } from "node:path";

/** Commands the lab runs on this machine, and the Debian package that ships each. */
export const LAB_TOOLS: Array<{ command: string; aptPackage: string }> = [
  { command: "debootstrap", aptPackage: "debootstrap" },
  { command: "systemd-nspawn", aptPackage: "systemd-container" },
  { command: "qemu-system-x86_64", aptPackage: "qemu-system-x86" },
  { command: "qemu-img", aptPackage: "qemu-utils" },
  { command: "mkfs.ext4", aptPackage: "e2fsprogs" },
  { command: "dpkg-scanpackages", aptPackage: "dpkg-dev" },
  { command: "ssh", aptPackage: "openssh-client" },
  { command: "ssh-keygen", aptPackage: "openssh-client" },
  { command: "ip", aptPackage: "iproute2" },
  { command: "dnsmasq", aptPackage: "dnsmasq-base" },
];

/** What keeps the lab from running here, as sentences with the fix; empty when it can run. */
export function labProblems(env = process.env): string[] {
  const problems: string[] = [];
  if (process.platform !== "linux") problems.push("the lab runs on Linux only (Debian 12 tested)");
  if (process.getuid?.() !== 0)
    problems.push("the lab needs root (debootstrap, network namespaces, systemd-nspawn): run it as root");
  const dirs = (env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"]).filter(Boolean);
  const missing = LAB_TOOLS.filter(({ command }) => !dirs.some((dir) => executable(join(dir, command))));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => t.aptPackage))];
    problems.push(`missing ${missing.map((t) => t.command).join(", ")}: apt-get install ${packages.join(" ")}`);
  }
  return problems;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
