import { cmd, sh } from "../hosts/quote.js";
import type { FamilyKnowledge } from "./family.js";
import { JOURNAL_VACUUM } from "./journal-vacuum.js";

const APT_ENV = "DEBIAN_FRONTEND=noninteractive";
const APT_OPTS = ["-o", "Dpkg::Options::=--force-confold", "-o", "Dpkg::Options::=--force-confdef"];

/**
 * The storage stack the VM's root may sit on (the installer's guided LVM, RAID, encryption): a container
 * has none of it, so the copy deletes it, and the kernel's reinstall would build an initramfs without it.
 */
const STORAGE_PACKAGES = ["lvm2", "mdadm", "cryptsetup*"];

/** A venet stanza or the header vzctl's debian-add_ip.sh writes into /etc/network/interfaces. */
const VENET_INTERFACES = /^\s*(auto|allow-hotplug|iface)\s+venet0|^# Auto generated venet0 interface/m;

export const debian: FamilyKnowledge = {
  family: "debian",
  cleanCommands: () => [JOURNAL_VACUUM.command, cmd("apt-get", "clean")],
  cleanDeletes: `${JOURNAL_VACUUM.deletes} and apt's cache of downloaded packages`,
  updateCommands: () => [
    `${APT_ENV} ${cmd("apt-get", "update")}`,
    `${APT_ENV} ${cmd("apt-get", "-y", ...APT_OPTS, "dist-upgrade")}`,
  ],
  ownerQuery: (path) => cmd("dpkg", "-S", path),
  // dpkg -S prints "linux-image-6.1.0-18-amd64: /boot/vmlinuz-6.1.0-18-amd64"; "no path found matching" with exit 1.
  parseOwner: (code, stdout) => {
    if (code !== 0) return null;
    const m = /^([^:\s,]+(?::[a-z0-9]+)?)(?:, [^:]+)*: \//m.exec(stdout);
    return m?.[1] ?? null;
  },
  kernelPackage: (kernelRelease) => `linux-image-${kernelRelease}`,
  bootPackagesQuery: sh`dpkg-query -W -f ${"${db:Status-Abbrev} ${binary:Package}\\n"} ${["grub*", "shim*", "udev", "kmod", "initramfs-tools", ...STORAGE_PACKAGES]}`,
  parseBootPackages: (stdout) => installedFromStatus(stdout),
  installedQuery: (names) => sh`dpkg-query -W -f ${"${db:Status-Abbrev} ${binary:Package}\\n"} ${names}`,
  parseInstalled: (stdout) => installedFromStatus(stdout),
  packageDbRepair: [],
  refreshCommands: [`${APT_ENV} ${cmd("apt-get", "update")}`],
  install: (_release, packages) => `${APT_ENV} ${cmd("apt-get", "-y", ...APT_OPTS, "install", ...packages)}`,
  initramfsPath: (kernelRelease) => `/boot/initrd.img-${kernelRelease}`,
  initramfsListCommand: (kernelRelease) => cmd("lsinitramfs", `/boot/initrd.img-${kernelRelease}`),
  // initramfs-tools takes drivers from /etc/initramfs-tools (the VM's own, never copied): MODULES=most has virtio.
  initramfsRebuildCommand: (kernelRelease) => cmd("update-initramfs", "-u", "-k", kernelRelease),
  bootLoader: { grubConfig: "/boot/grub/grub.cfg", regenerateGrub: cmd("update-grub") },
  relabelPackages: ["selinux-policy-default", "policycoreutils"],
  excludes: [
    { path: "/etc/initramfs-tools", reason: "the VM's initramfs settings (modules for virtio disks)" },
    { path: "/etc/modules", reason: "the VM's boot-time kernel modules" },
    {
      path: "/etc/kernel-img.conf",
      reason: "the VM's kernel postinst settings (where the /vmlinuz and /initrd.img links go)",
    },
    ...["/vmlinuz", "/vmlinuz.old", "/initrd.img", "/initrd.img.old"].map((path) => ({
      path,
      reason: "the VM's links to its current kernel and initramfs (linux-update-symlinks); boot configs may name them",
    })),
    {
      path: "/etc/kernel",
      reason: "the VM's kernel postinst hooks (zz-update-grub, initramfs) that make a reinstalled kernel bootable",
    },
  ],
  network: {
    dirs: [
      "/etc/network/interfaces.d",
      "/etc/netplan",
      "/etc/NetworkManager/system-connections",
      "/etc/systemd/network",
    ],
    files: ["/etc/network/interfaces"],
    isPackageFile: () => false,
    isVenet: (path, content) =>
      (path.startsWith("/etc/network/") || path.startsWith("/etc/NetworkManager/")) &&
      (VENET_INTERFACES.test(content) || /interface-name\s*=\s*venet0/.test(content)),
  },
  packageDbDir: "/var/lib/dpkg",
};

/** dpkg-query "ii  name" lines: only fully installed packages count. */
function installedFromStatus(stdout: string): string[] {
  const names = stdout
    .split("\n")
    .map((line) => /^ii\s+(\S+)/.exec(line)?.[1])
    .filter((n): n is string => !!n)
    .map((n) => n.replace(/:(amd64|arm64|i386)$/, ""));
  return [...new Set(names)].sort();
}
