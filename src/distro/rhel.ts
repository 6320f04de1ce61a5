import { cmd, raw, sh } from "../hosts/quote.js";
import type { FamilyKnowledge } from "./family.js";
import { JOURNAL_VACUUM } from "./journal-vacuum.js";
import type { Release } from "./release.js";

/** yum on EL7, dnf on EL8 and later. */
const packageTool = (release: Release): "yum" | "dnf" => (Number.parseInt(release.versionId, 10) <= 7 ? "yum" : "dnf");

/**
 * The storage stack the VM's root may sit on (anaconda's default is LVM): a container has none of it, so
 * the copy deletes it, and the kernel's reinstall would build an initramfs that cannot find the root.
 */
const STORAGE_PACKAGES = ["lvm2", "mdadm", "cryptsetup"];

const NETWORK_SCRIPTS_FILE = /^(ifup|ifdown)(-.+)?$|^network-functions(-ipv6)?$|^init\.ipv6-global$/;
const IFCFG_VENET = /^(ifcfg|route|route6)-venet0(:[0-9]+)?$/;

export const rhel: FamilyKnowledge = {
  family: "rhel",
  cleanCommands: (release) => [JOURNAL_VACUUM.command, cmd(packageTool(release), "clean", "all")],
  cleanDeletes: `${JOURNAL_VACUUM.deletes} and the package manager's cache (downloaded packages and repository metadata)`,
  updateCommands: (release) => [cmd(packageTool(release), "-y", packageTool(release) === "yum" ? "update" : "upgrade")],
  ownerQuery: (path) => cmd("rpm", "-qf", path),
  // rpm -qf prints "file /x is not owned by any package" with exit 1 when unowned.
  parseOwner: (code, stdout) => {
    const line = stdout.trim().split("\n")[0] ?? "";
    if (code !== 0 || line === "" || / is not owned by any package$/.test(line)) return null;
    return line;
  },
  kernelPackage: (kernelRelease) => `kernel-${kernelRelease}`,
  bootPackagesQuery: sh`rpm -qa --qf ${"%{NAME}\\n"} ${["grub2*", "shim*", "grubby", "efibootmgr", "dracut", "systemd-udev", "kmod", "linux-firmware", ...STORAGE_PACKAGES]}`,
  parseBootPackages: (stdout) =>
    [
      ...new Set(
        stdout
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => /^[A-Za-z0-9._+-]+$/.test(l)),
      ),
    ].sort(),
  // "rpm -q --qf" prints the name for installed ones and "package X is not installed" for the rest.
  installedQuery: (names) => sh`rpm -q --qf ${"%{NAME}\\n"} ${names}`,
  parseInstalled: (stdout) =>
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("package ")),
  packageDbRepair: [sh`rm -f ${raw("/var/lib/rpm/__db.0*")}`],
  // yum/dnf refresh expired metadata on their own.
  refreshCommands: [],
  install: (release, packages) => cmd(packageTool(release), "-y", "install", ...packages),
  initramfsPath: (kernelRelease) => `/boot/initramfs-${kernelRelease}.img`,
  initramfsListCommand: (kernelRelease) => cmd("lsinitrd", `/boot/initramfs-${kernelRelease}.img`),
  initramfsRebuildCommand: (kernelRelease, drivers) =>
    cmd(
      "dracut",
      "-f",
      ...(drivers.length > 0 ? ["--add-drivers", drivers.join(" ")] : []),
      `/boot/initramfs-${kernelRelease}.img`,
      kernelRelease,
    ),
  bootLoader: {
    grubConfig: "/boot/grub2/grub.cfg",
    regenerateGrub: cmd("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"),
    blsEntriesDir: "/boot/loader/entries",
    blsAdd: (kernelRelease) => cmd("kernel-install", "add", kernelRelease, `/lib/modules/${kernelRelease}/vmlinuz`),
  },
  relabelPackages: ["selinux-policy-targeted", "policycoreutils"],
  excludes: [
    { path: "/etc/sysconfig/grub", reason: "the VM's kernel command line (a link to /etc/default/grub on EL7+)" },
    { path: "/etc/sysconfig/kernel", reason: "the VM's default-kernel settings for new-kernel-pkg/grubby" },
    {
      path: "/etc/dracut.conf",
      reason: "the VM's initramfs settings (virtio drivers); a container has no use for them",
    },
    { path: "/etc/dracut.conf.d", reason: "the VM's initramfs settings (virtio drivers)" },
    {
      path: "/etc/selinux/config",
      reason: "SELinux mode is the VM's: containers ran unlabeled; an enforcing VM gets a relabel instead",
    },
  ],
  network: {
    dirs: ["/etc/sysconfig/network-scripts", "/etc/NetworkManager/system-connections", "/etc/systemd/network"],
    files: ["/etc/sysconfig/network"],
    isVenet: (path, content) => {
      const base = path.split("/").pop() ?? "";
      if (IFCFG_VENET.test(base)) return true;
      if (path.startsWith("/etc/NetworkManager/system-connections/"))
        return /^\s*interface-name\s*=\s*venet0/m.test(content);
      return false;
    },
    // initscripts / network-scripts ship their ifup/ifdown scripts in the same directory as ifcfg files.
    isPackageFile: (path) =>
      path.startsWith("/etc/sysconfig/network-scripts/") && NETWORK_SCRIPTS_FILE.test(path.split("/").pop() ?? ""),
  },
  packageDbDir: "/var/lib/rpm",
};

/** /etc/sysconfig/network minus the lines vzctl adds (GATEWAYDEV/IPV6_DEFAULTDEV=venet0, the fake gateway 191.255.255.1 of old vzctl or 192.0.2.1 of vzctl 4). */
export function stripVenetFromSysconfigNetwork(content: string): string {
  return content
    .split("\n")
    .filter(
      (line) =>
        !/^\s*(GATEWAYDEV|IPV6_DEFAULTDEV)\s*=\s*"?venet0"?\s*$/.test(line) &&
        !/^\s*GATEWAY\s*=\s*"?(191\.255\.255\.1|192\.0\.2\.1)"?\s*$/.test(line),
    )
    .join("\n");
}
