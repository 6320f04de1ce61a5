import { cmd } from "../../hosts/quote.js";

/** Every block device with its identifiers, as `blkid -o export` prints them (KEY=value lines, a blank line between devices). */
export const BLKID_COMMAND = cmd("blkid", "-o", "export");

export interface BlockDevice {
  devname: string;
  uuid?: string;
  label?: string;
  partuuid?: string;
  partlabel?: string;
}

export function parseBlkidExport(stdout: string): BlockDevice[] {
  return stdout
    .split(/\n\s*\n/)
    .map((block) =>
      Object.fromEntries(
        block
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      ),
    )
    .filter((f) => f.DEVNAME)
    .map((f) => ({ devname: f.DEVNAME!, uuid: f.UUID, label: f.LABEL, partuuid: f.PARTUUID, partlabel: f.PARTLABEL }));
}

export interface FstabEntry {
  spec: string;
  mountPoint: string;
  type: string;
  options: string[];
}

/** fstab(5): six whitespace-separated fields, # comments; \040 stands for a space in a field. */
export function parseFstab(text: string): FstabEntry[] {
  return text
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/).map((f) => f.replace(/\\040/g, " ")))
    .filter((f) => f.length >= 3)
    .map((f) => ({ spec: f[0]!, mountPoint: f[1]!, type: f[2]!, options: (f[3] ?? "defaults").split(",") }));
}

/** Filesystems that name no local block device (network, pseudo, memory). */
const NO_DEVICE = new Set([
  "proc",
  "sysfs",
  "devpts",
  "tmpfs",
  "devtmpfs",
  "securityfs",
  "cgroup",
  "cgroup2",
  "debugfs",
  "hugetlbfs",
  "mqueue",
  "efivarfs",
  "binfmt_misc",
  "fusectl",
  "configfs",
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "smbfs",
  "glusterfs",
  "ceph",
  "fuse.sshfs",
  "davfs",
  "9p",
  "virtiofs",
  "none",
  "autofs",
  "overlay",
]);

export interface MissingDevice {
  entry: FstabEntry;
  /** The boot goes on without it (nofail, or swap: systemd gives up on it after a timeout). */
  bootContinues: boolean;
}

/** The fstab entries naming a device the VM does not have. `pathExists` answers for /dev paths blkid did not list (LVM links, /dev/disk/by-*). */
export function missingDevices(
  entries: FstabEntry[],
  devices: BlockDevice[],
  pathExists: (path: string) => boolean,
): MissingDevice[] {
  const out: MissingDevice[] = [];
  const has = (key: keyof BlockDevice, value: string): boolean => devices.some((d) => d[key] === value);
  for (const entry of entries) {
    if (NO_DEVICE.has(entry.type) || entry.options.includes("bind") || entry.options.includes("noauto")) continue;
    const [, tag, value] = /^(UUID|LABEL|PARTUUID|PARTLABEL)=["']?([^"']*)["']?$/.exec(entry.spec) ?? [];
    const present = tag
      ? has(tag.toLowerCase() as keyof BlockDevice, value!)
      : entry.spec.startsWith("/dev/")
        ? has("devname", entry.spec) || pathExists(entry.spec)
        : true;
    if (!present) out.push({ entry, bootContinues: entry.options.includes("nofail") || entry.type === "swap" });
  }
  return out;
}

/** The /dev paths (not listed by blkid) whose existence missingDevices asks about. */
export function devicePathsToCheck(entries: FstabEntry[], devices: BlockDevice[]): string[] {
  return entries.map((e) => e.spec).filter((s) => s.startsWith("/dev/") && !devices.some((d) => d.devname === s));
}
