import type { ExcludeEntry } from "../../distro/family.js";

export type { ExcludeEntry };

/** Where the tool keeps the migration key on the source; never copied, removed at the end. */
export const MIGRATION_DIR = "/root/.mudanza-migrate";
/** root's authorized_keys: the copy leaves the target's in place (see COMMON_EXCLUDES). */
export const AUTHORIZED_KEYS_PATH = "/root/.ssh/authorized_keys";
/** Where network-fixup keeps the files it replaces on the target; a rerun of the copy must not delete it. */
export const BACKUP_DIR = "/root/mudanza-backup";

/**
 * What an OpenVZ-container-to-VM copy must never overwrite or delete on the VM, each with its reason.
 * The recipe's list (/etc/fstab /boot /proc /lib/modules /etc/udev /lib/udev /sys) plus what it misses
 * (see migration-facts: usrmerge, pseudo filesystems, mount points, boot configuration, swap files).
 */
export const COMMON_EXCLUDES: ExcludeEntry[] = [
  { path: "/proc", reason: "kernel pseudo filesystem" },
  { path: "/sys", reason: "kernel pseudo filesystem" },
  { path: "/dev", reason: "device nodes belong to the VM's kernel and udev; a container's /dev is a stub" },
  { path: "/run", reason: "runtime tmpfs of the running VM (sockets, pids, systemd state)" },
  { path: "/var/run", reason: "link to /run on current systems; same runtime state" },
  { path: "/var/lock", reason: "link to /run/lock on current systems" },
  { path: "/tmp", reason: "scratch space emptied at boot; copying it races with the VM's running services" },
  { path: "/boot", reason: "the VM's kernels, initramfs and bootloader (a container has none)" },
  { path: "/lib/modules", reason: "the VM's kernel modules (recipe)" },
  {
    path: "/usr/lib/modules",
    reason: "the same modules on usrmerged systems, where /lib is a link and the recipe's exclude protects nothing",
  },
  { path: "/lib/firmware", reason: "the VM's firmware files (a container has none)" },
  { path: "/usr/lib/firmware", reason: "the VM's firmware files on usrmerged systems" },
  { path: "/lib/udev", reason: "the VM's udev rules and helpers (recipe)" },
  { path: "/usr/lib/udev", reason: "the same on usrmerged systems" },
  { path: "/etc/udev", reason: "the VM's udev config, including persistent-net rules naming its NIC (recipe)" },
  { path: "/etc/fstab", reason: "the VM's disks by UUID; a container's fstab holds only devpts/shm lines (recipe)" },
  { path: "/etc/crypttab", reason: "the VM's encrypted disks" },
  { path: "/etc/default/grub", reason: "the VM's kernel command line (console, root device)" },
  {
    path: "/etc/default/grub.d",
    reason: "the VM's grub settings snippets (Ubuntu cloud images set the serial console there)",
  },
  { path: "/etc/grub.d", reason: "the VM's grub config generators" },
  {
    path: "/etc/kernel",
    reason: "the VM's kernel install hooks and command line (postinst.d, install.d, cmdline for BLS entries)",
  },
  { path: "/etc/lvm", reason: "the VM's LVM config, devices file (EL9) and metadata backups: the root may sit on LVM" },
  { path: "/etc/mdadm", reason: "the VM's software RAID config" },
  { path: "/etc/mdadm.conf", reason: "the VM's software RAID config (RHEL's place)" },
  { path: "/etc/modprobe.d", reason: "the VM's kernel module options" },
  { path: "/etc/modules-load.d", reason: "the VM's boot-time kernel modules" },
  // Container templates mask what cannot run in a container (`systemctl mask`: a link to /dev/null); the
  // VM needs these units, and its console logins are the way in when SSH fails.
  ...[
    "systemd-udevd.service",
    "systemd-udev-trigger.service",
    "systemd-udevd-kernel.socket",
    "systemd-udevd-control.socket",
    "systemd-modules-load.service",
    "systemd-remount-fs.service",
    "systemd-fsck-root.service",
  ].map((unit) => ({
    path: `/etc/systemd/system/${unit}`,
    reason: "a container may mask it; the VM needs it to find its disks and NIC and to boot",
  })),
  ...["getty@.service", "serial-getty@.service", "autovt@.service", "getty.target", "getty.target.wants"].map(
    (unit) => ({
      path: `/etc/systemd/system/${unit}`,
      reason: "the VM's console logins (a container masks or drops them): the way in when SSH fails",
    }),
  ),
  { path: "/mnt", reason: "mount point for other filesystems; their content is not part of the root" },
  { path: "/media", reason: "mount point for removable media" },
  { path: "/lost+found", reason: "belongs to the VM's filesystem (fsck)" },
  { path: "/swapfile", reason: "the VM's swap file, in use by its kernel" },
  { path: "/swap.img", reason: "Ubuntu's swap file, in use by the VM's kernel" },
  {
    path: AUTHORIZED_KEYS_PATH,
    reason:
      "root's keys on the target are the tool's own way in: never replaced, so a pass cut short at any point cannot lock it out; the source's keys are added to the file after each pass",
  },
  { path: MIGRATION_DIR, reason: "the migration key pair lives only on the source" },
  { path: BACKUP_DIR, reason: "the target's backups of the files network-fixup replaced; a rerun must keep them" },
];

/** Common + family + plan excludes, without duplicates (the first reason wins). */
export function mergeExcludes(...lists: ExcludeEntry[][]): ExcludeEntry[] {
  const seen = new Map<string, ExcludeEntry>();
  for (const entry of lists.flat()) if (!seen.has(entry.path)) seen.set(entry.path, entry);
  return [...seen.values()];
}

/**
 * An rsync exclude anchored at the transfer root: "/etc/fstab" matches only that path, never a file
 * called fstab deeper down. Glob characters in admin-supplied paths are taken literally.
 */
export function rsyncPattern(path: string): string {
  const trimmed = path.replace(/\/+$/, "") || "/";
  // rsync reads backslash as an escape only in patterns that hold a wildcard
  return /[[*?]/.test(trimmed) ? trimmed.replace(/([[*?\\])/g, "\\$1") : trimmed;
}
