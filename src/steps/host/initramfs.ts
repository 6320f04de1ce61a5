import { cmd } from "../../hosts/quote.js";

/** The root filesystem's device and type: what the initramfs must be able to mount. */
export const ROOT_MOUNT_COMMAND = cmd("findmnt", "-n", "-o", "SOURCE,FSTYPE", "/");

export function parseRootMount(stdout: string): { source: string; fstype: string } | null {
  const [source, fstype] = stdout.trim().split(/\s+/);
  return source && fstype ? { source, fstype } : null;
}

/** Kernel module names compare with _ for - (dm-mod.ko is loaded as dm_mod). */
const norm = (name: string): string => name.replace(/-/g, "_");

/** Module names in an lsinitramfs / lsinitrd listing (the last word of a line ending in NAME.ko, compressed or not). */
export function modulesInListing(listing: string): Set<string> {
  const names = new Set<string>();
  for (const line of listing.split("\n")) {
    const m = /(?:^|\/)([^/\s]+)\.ko(?:\.(?:xz|zst|gz))?\s*$/.exec(line);
    if (m) names.add(norm(m[1]!));
  }
  return names;
}

/** modules.builtin: one "kernel/.../NAME.ko" line per driver compiled into the kernel. */
export const modulesBuiltin = (text: string): Set<string> => modulesInListing(text);

/** One driver of a group is enough (the disk may sit on virtio-blk or virtio-scsi). */
export interface DriverNeed {
  anyOf: string[];
  why: string;
}

/** What the VM's initramfs needs to mount its root, from the device it runs on now and its filesystem type. */
export function requiredDrivers(root: { source: string; fstype: string }): DriverNeed[] {
  const dev = root.source.replace(/^\/dev\//, "");
  const needs: DriverNeed[] = [];
  if (/^vd[a-z]/.test(dev)) needs.push({ anyOf: ["virtio_blk"], why: `the root is on ${root.source}, a virtio disk` });
  else if (/^sd[a-z]/.test(dev))
    needs.push({ anyOf: ["virtio_scsi", "ahci", "ata_piix"], why: `the root is on ${root.source}, a SCSI/SATA disk` });
  else if (/^nvme/.test(dev)) needs.push({ anyOf: ["nvme"], why: `the root is on ${root.source}, an NVMe disk` });
  else needs.push({ anyOf: ["virtio_blk", "virtio_scsi"], why: `the root is on ${root.source}; a KVM disk is virtio` });
  if (/^(mapper\/|dm-)/.test(dev)) needs.push({ anyOf: ["dm_mod"], why: `${root.source} is a device-mapper volume` });
  needs.push({ anyOf: [norm(root.fstype)], why: `the root filesystem is ${root.fstype}` });
  return needs;
}

/** The needs neither the initramfs nor the kernel itself (modules.builtin) meets. */
export function missingDrivers(needs: DriverNeed[], inInitramfs: Set<string>, builtin: Set<string>): DriverNeed[] {
  return needs.filter((n) => !n.anyOf.some((d) => inInitramfs.has(d) || builtin.has(d)));
}

export const builtinPaths = (kernelRelease: string): string[] => [
  `/lib/modules/${kernelRelease}/modules.builtin`,
  `/usr/lib/modules/${kernelRelease}/modules.builtin`,
];
