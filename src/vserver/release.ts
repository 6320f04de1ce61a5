import { posix } from "node:path";
import { readOptional, type Host } from "../hosts/host.js";

/**
 * The guest's release, read from files in its root tree (the guest may be older than os-release).
 * Kept small on purpose: only what the VServer pipeline needs to pick vzctl's distribution scripts
 * (OSTEMPLATE) and the network fix-up.
 */
export type GuestFamily = "debian" | "redhat" | "suse" | "gentoo" | "unknown";

export interface GuestRelease {
  family: GuestFamily;
  /** os-release ID style: debian, ubuntu, centos, fedora, rhel, ... */
  id: string;
  /** "6.0.10", "12.04", "6.10"; empty when unknown. */
  version: string;
  pretty: string;
  /** Where it was read from, for the report. */
  source: string;
}

const FAMILY: Record<string, GuestFamily> = {
  debian: "debian",
  ubuntu: "debian",
  devuan: "debian",
  centos: "redhat",
  rhel: "redhat",
  fedora: "redhat",
  scientific: "redhat",
  almalinux: "redhat",
  rocky: "redhat",
  opensuse: "suse",
  sles: "suse",
  gentoo: "gentoo",
};

export async function readGuestRelease(host: Host, root: string): Promise<GuestRelease> {
  const read = (rel: string): Promise<string | null> => readOptional(host, posix.join(root, rel));
  const osRelease = await read("etc/os-release");
  if (osRelease) {
    const kv = parseShellVars(osRelease);
    const id = (kv.ID ?? "unknown").toLowerCase();
    const like = (kv.ID_LIKE ?? "").toLowerCase().split(/\s+/);
    const family = FAMILY[id] ?? like.map((l) => FAMILY[l]).find((f) => f) ?? "unknown";
    let version = kv.VERSION_ID ?? "";
    // Debian's os-release says 7; debian_version has the point release vzctl templates were named by.
    if (id === "debian") version = ((await read("etc/debian_version"))?.trim() ?? version) || version;
    return { family, id, version, pretty: kv.PRETTY_NAME ?? `${id} ${version}`, source: "/etc/os-release" };
  }
  const redhat = (await read("etc/centos-release")) ?? (await read("etc/redhat-release"));
  if (redhat) {
    const line = redhat.trim().split("\n")[0] ?? "";
    const version = /release\s+([\d.]+)/.exec(line)?.[1] ?? "";
    const id = /^CentOS/i.test(line) ? "centos" : /^Fedora/i.test(line) ? "fedora" : /^Scientific/i.test(line) ? "scientific" : "rhel";
    return { family: "redhat", id, version, pretty: line, source: "/etc/redhat-release" };
  }
  const debian = await read("etc/debian_version");
  if (debian) {
    const version = debian.trim();
    return { family: "debian", id: "debian", version, pretty: `Debian ${version}`, source: "/etc/debian_version" };
  }
  if (await read("etc/gentoo-release")) return { family: "gentoo", id: "gentoo", version: "", pretty: "Gentoo", source: "/etc/gentoo-release" };
  return { family: "unknown", id: "unknown", version: "", pretty: "unknown", source: "(no release file)" };
}

/** KEY=value / KEY="value" lines (os-release, vz.conf, CTID.conf). */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/**
 * vzctl picks a container's distribution scripts (etc/dists/<name>.conf) from OSTEMPLATE by its
 * leading "distro-version" part, so the template name must start the way vzctl's templates do:
 * debian-6.0-x86_64, ubuntu-12.04-x86_64, centos-6-x86_64.
 */
export function osTemplateFor(release: GuestRelease, arch: string): string | undefined {
  if (release.family === "unknown" || !release.version) return undefined;
  let version = release.version;
  // OpenVZ's Debian templates are named by major release: debian-6.0, debian-7.0, debian-8.0.
  if (release.id === "debian") version = `${version.split(".")[0]}.0`;
  if (release.family === "redhat" && release.id !== "fedora") version = version.split(".")[0] ?? version;
  const id = release.id === "rhel" || release.id === "scientific" ? "centos" : release.id;
  return `${id}-${version}-${arch}`;
}
