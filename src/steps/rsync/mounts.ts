import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import type { ExcludeEntry } from "./excludes.js";

/**
 * Filesystems mounted inside the source (bind mounts, NFS, CIFS): their content is not the container's
 * root and must not land in the VM's root disk. Read from /proc/self/mountinfo (proc(5): "ID PARENT
 * MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS", octal escapes for
 * space, tab, newline and backslash), with cat: /proc files report size 0 to some SFTP readers.
 */
export interface SourceMount {
  mountPoint: string;
  /** The mounted directory of its filesystem ("/" unless a bind mount of a subdirectory). */
  root: string;
  fstype: string;
  source: string;
}

export const MOUNTINFO_COMMAND = cmd("cat", "/proc/self/mountinfo");

const unescape = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));

export function parseMountinfo(text: string): SourceMount[] {
  const out: SourceMount[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const dash = fields.indexOf("-");
    if (fields.length < 10 || dash < 6) continue;
    out.push({
      root: unescape(fields[3]!),
      mountPoint: unescape(fields[4]!),
      fstype: fields[dash + 1]!,
      source: unescape(fields[dash + 2] ?? ""),
    });
  }
  return out;
}

/** Kernel and runtime filesystems: excluded like any mount, but nothing for the admin to recreate. */
const VIRTUAL = new Set([
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "tmpfs",
  "cgroup",
  "cgroup2",
  "mqueue",
  "hugetlbfs",
  "debugfs",
  "securityfs",
  "pstore",
  "bpf",
  "tracefs",
  "configfs",
  "fusectl",
  "autofs",
  "binfmt_misc",
  "rpc_pipefs",
  "selinuxfs",
  "efivarfs",
  "nsfs",
  "ramfs",
  "overlay",
]);

const covered = (path: string, excludes: ExcludeEntry[]): boolean =>
  excludes.some((e) => path === e.path || path.startsWith(`${e.path.replace(/\/+$/, "")}/`));

/** Every mount point under / but / itself that the excludes do not already cover, each once (the last mount on a path wins). */
export function mountsToExclude(mounts: SourceMount[], excludes: ExcludeEntry[]): SourceMount[] {
  const byPoint = new Map<string, SourceMount>();
  for (const m of mounts) if (m.mountPoint !== "/" && m.mountPoint.startsWith("/")) byPoint.set(m.mountPoint, m);
  return [...byPoint.values()].filter((m) => !covered(m.mountPoint, excludes));
}

export const toRecreate = (mounts: SourceMount[]): SourceMount[] => mounts.filter((m) => !VIRTUAL.has(m.fstype));

export const describeMount = (m: SourceMount): string =>
  `${m.mountPoint} (${m.fstype} ${m.source}${m.root !== "/" ? `, bind of ${m.root}` : ""})`;

export function mountExcludes(mounts: SourceMount[]): ExcludeEntry[] {
  return mounts.map((m) => ({
    path: m.mountPoint,
    reason: `a filesystem mounted inside the source: ${describeMount(m)}; its content is not the container's root (recreate the mount on the VM)`,
  }));
}

/** The source's mounts, or null when mountinfo cannot be read (then nothing is excluded for it). */
export async function readSourceMounts(host: Host, signal?: AbortSignal): Promise<SourceMount[] | null> {
  const result = await host.exec(MOUNTINFO_COMMAND, { signal });
  return result.code === 0 ? parseMountinfo(result.stdout) : null;
}
