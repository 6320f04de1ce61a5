import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { knowledgeFor, readRelease, type FamilyKnowledge, type Release } from "../../distro/index.js";
import { blocker, type Finding } from "../../engine/finding.js";
import { parseDf } from "./df.js";

export const UNAME_COMMAND = cmd("uname", "-r");
export const DETECT_VIRT_COMMAND = cmd("systemd-detect-virt");
export const DF_COMMAND = cmd("df", "-P", "-B1", "/");
export const RSYNC_PRESENT_COMMAND = "command -v rsync";

export async function kernelRelease(host: Host, signal?: AbortSignal): Promise<string> {
  const result = await host.exec(UNAME_COMMAND, { signal });
  const release = result.stdout.trim();
  if (result.code !== 0 || release === "") throw new Error(`uname -r failed on ${host.role}: ${result.stderr.trim()}`);
  return release;
}

/** systemd-detect-virt: "openvz", "lxc", "systemd-nspawn" for containers, "kvm"/"qemu"/... for VMs, "none". */
export async function virtualization(host: Host, signal?: AbortSignal): Promise<string> {
  const result = await host.exec(DETECT_VIRT_COMMAND, { signal });
  return result.stdout.trim() || "unknown";
}

export const CONTAINER_TYPES = new Set([
  "openvz",
  "lxc",
  "lxc-libvirt",
  "systemd-nspawn",
  "docker",
  "podman",
  "rkt",
  "wsl",
  "proot",
  "pouch",
  "container-other",
]);

export interface DiskUsage {
  sizeBytes: number;
  usedBytes: number;
  freeBytes: number;
}

export async function diskUsage(host: Host, signal?: AbortSignal): Promise<DiskUsage | null> {
  const result = await host.exec(DF_COMMAND, { signal });
  const row = result.code === 0 ? parseDf(result.stdout) : null;
  return row && { sizeBytes: row.sizeBytes, usedBytes: row.usedBytes, freeBytes: row.availableBytes };
}

/** Release plus family knowledge, or a reason it is unusable. */
export async function distroOf(
  host: Host,
): Promise<{ release: Release; family: FamilyKnowledge } | { release: Release | null; family: null }> {
  const release = await readRelease(host);
  if (!release || release.family === "unknown") return { release, family: null };
  return { release, family: knowledgeFor(release) };
}

export interface KnownDistro {
  release: Release;
  family: FamilyKnowledge;
}

/**
 * The opening of every probe that needs the host's family knowledge: the release and family, or the blocker
 * that says which system the host runs and what cannot be done without knowing it.
 */
export async function requireFamily(
  host: Host,
  role: string,
  cannot: string,
): Promise<KnownDistro | { blocker: Finding }> {
  const distro = await distroOf(host);
  if (distro.family && distro.release) return { release: distro.release, family: distro.family };
  const runs = distro.release
    ? `${distro.release.pretty} (ID=${distro.release.id})`
    : "a system without a readable /etc/os-release";
  return {
    blocker: blocker(
      "Unknown distribution",
      `the ${role} runs ${runs}; mudanza knows the Debian and RHEL families and ${cannot} on others`,
      undefined,
      role,
    ),
  };
}

export function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** SELinux enforcing? Read with cat: /sys files report size 0, which some SFTP readers take literally. */
export async function selinuxEnforcing(host: Host, signal?: AbortSignal): Promise<boolean> {
  const result = await host.exec(cmd("cat", "/sys/fs/selinux/enforce"), { signal });
  return result.code === 0 && result.stdout.trim() === "1";
}
