import { posix } from "node:path";
import { familyOf, parseOsRelease, type Family } from "../distro/release.js";
import { readOptional, type Host } from "../hosts/host.js";

/**
 * The guest's release, read from files in its root tree rather than a host's /etc (src/distro reads a
 * running host's os-release; VServer guests are often older than os-release: Debian 6, CentOS 5).
 * Only what this pipeline needs: vzctl's distribution scripts (OSTEMPLATE) and the network fix-up.
 */
export type GuestFamily = Family | "suse" | "gentoo" | "unknown";

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

/** IDs src/distro does not know that vzctl still has scripts for. */
const OTHER_FAMILIES: Record<string, GuestFamily> = {
  devuan: "debian",
  scientific: "rhel",
  opensuse: "suse",
  sles: "suse",
  gentoo: "gentoo",
};

export async function readGuestRelease(host: Host, root: string): Promise<GuestRelease> {
  const read = (rel: string): Promise<string | null> => readOptional(host, posix.join(root, rel));
  const osRelease = await read("etc/os-release");
  if (osRelease) {
    const kv = parseOsRelease(osRelease);
    const id = (kv.ID ?? "unknown").toLowerCase();
    const known = familyOf(id, (kv.ID_LIKE ?? "").toLowerCase());
    const family: GuestFamily = known !== "unknown" ? known : (OTHER_FAMILIES[id] ?? "unknown");
    let version = kv.VERSION_ID ?? "";
    // Debian's os-release says 7; debian_version has the point release vzctl templates were named by.
    if (id === "debian") version = ((await read("etc/debian_version"))?.trim() ?? version) || version;
    return { family, id, version, pretty: kv.PRETTY_NAME ?? `${id} ${version}`, source: "/etc/os-release" };
  }
  const redhat = (await read("etc/centos-release")) ?? (await read("etc/redhat-release"));
  if (redhat) {
    const line = redhat.trim().split("\n")[0] ?? "";
    const version = /release\s+([\d.]+)/.exec(line)?.[1] ?? "";
    const id = /^CentOS/i.test(line)
      ? "centos"
      : /^Fedora/i.test(line)
        ? "fedora"
        : /^Scientific/i.test(line)
          ? "scientific"
          : "rhel";
    return { family: "rhel", id, version, pretty: line, source: "/etc/redhat-release" };
  }
  const debian = await read("etc/debian_version");
  if (debian) {
    const version = debian.trim();
    return { family: "debian", id: "debian", version, pretty: `Debian ${version}`, source: "/etc/debian_version" };
  }
  if (await read("etc/gentoo-release"))
    return { family: "gentoo", id: "gentoo", version: "", pretty: "Gentoo", source: "/etc/gentoo-release" };
  return { family: "unknown", id: "unknown", version: "", pretty: "unknown", source: "(no release file)" };
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
  if (release.family === "rhel" && release.id !== "fedora") version = version.split(".")[0] ?? version;
  const id = release.id === "rhel" || release.id === "scientific" ? "centos" : release.id;
  return `${id}-${version}-${arch}`;
}
