import { readOptional, type Host } from "../hosts/host.js";

export type Family = "rhel" | "debian";

/** What a host says it runs: os-release plus the point release the family keeps elsewhere. */
export interface Release {
  id: string;
  versionId: string;
  /** The full point release: "8.9" (redhat-release), "12.11" (debian_version), "22.04.4" (Ubuntu VERSION). */
  point: string;
  pretty: string;
  family: Family | "unknown";
  /** Where `point` came from, for humans. */
  pointSource: string;
}

/** Parses os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
      value = value.slice(1, -1);
    out[m[1]!] = value.replace(/\\(["\\$`])/g, "$1");
  }
  return out;
}

const RHEL_IDS = new Set(["rhel", "centos", "almalinux", "rocky", "ol", "fedora"]);
const DEBIAN_IDS = new Set(["debian", "ubuntu"]);

export function familyOf(id: string, idLike: string): Family | "unknown" {
  if (RHEL_IDS.has(id)) return "rhel";
  if (DEBIAN_IDS.has(id)) return "debian";
  const like = idLike.split(/\s+/);
  if (like.some((l) => RHEL_IDS.has(l))) return "rhel";
  if (like.some((l) => DEBIAN_IDS.has(l))) return "debian";
  return "unknown";
}

/** "AlmaLinux release 8.9 (Midnight Oncilla)" / "CentOS Linux release 7.9.2009 (Core)" -> "8.9" / "7.9.2009". */
export function pointFromRedhatRelease(text: string): string | null {
  return /release\s+([0-9][0-9.]*)/.exec(text)?.[1] ?? null;
}

/** Ubuntu's VERSION="22.04.4 LTS (Jammy Jellyfish)" holds the point release; debian_version there says "bookworm/sid". */
function pointFromUbuntuVersion(version: string): string | null {
  return /^([0-9]+\.[0-9]+(?:\.[0-9]+)?)/.exec(version)?.[1] ?? null;
}

export async function readRelease(host: Host): Promise<Release | null> {
  // The point-release files are asked beside os-release (one round trip where the host takes several reads
  // at once); each is used only for its family, as before.
  const [etcOsRelease, redhatRelease, debianVersion] = await Promise.all([
    readOptional(host, "/etc/os-release"),
    readOptional(host, "/etc/redhat-release"),
    readOptional(host, "/etc/debian_version"),
  ]);
  const osRelease = etcOsRelease ?? (await readOptional(host, "/usr/lib/os-release"));
  if (osRelease === null) return null;
  const fields = parseOsRelease(osRelease);
  const id = fields.ID ?? "linux";
  const versionId = fields.VERSION_ID ?? "";
  const family = familyOf(id, fields.ID_LIKE ?? "");
  let point = versionId;
  let pointSource = "os-release VERSION_ID";
  if (family === "rhel") {
    const p = redhatRelease ? pointFromRedhatRelease(redhatRelease) : null;
    if (p) {
      point = p;
      pointSource = "/etc/redhat-release";
    }
  } else if (id === "ubuntu") {
    const p = pointFromUbuntuVersion(fields.VERSION ?? "");
    if (p) {
      point = p;
      pointSource = "os-release VERSION";
    }
  } else if (family === "debian") {
    const dv = debianVersion?.trim();
    if (dv && /^[0-9]/.test(dv)) {
      point = dv;
      pointSource = "/etc/debian_version";
    }
  }
  return { id, versionId, point, pretty: fields.PRETTY_NAME ?? `${id} ${versionId}`, family, pointSource };
}

/**
 * The releases this tool knows how to migrate (issue 6), as data: isSupported and the blocker message
 * both read it, so they cannot disagree. A release matches by os-release ID and by major version (or by
 * the exact VERSION_ID where majors say too little, as Ubuntu's non-LTS releases share them).
 */
export const SUPPORTED_RELEASES: Array<{
  names: string;
  ids: string[];
  family?: Family;
  majors?: number[];
  versions?: string[];
}> = [
  {
    names: "CentOS, AlmaLinux, Rocky, RHEL, Oracle Linux",
    ids: ["centos", "almalinux", "rocky", "rhel", "ol"],
    family: "rhel",
    majors: [7, 8, 9],
  },
  { names: "Debian", ids: ["debian"], majors: [10, 11, 12] },
  { names: "Ubuntu", ids: ["ubuntu"], versions: ["20.04", "22.04", "24.04"] },
];

export function isSupported(release: Release): boolean {
  const major = Number.parseInt(release.versionId, 10);
  return SUPPORTED_RELEASES.some(
    (r) =>
      r.ids.includes(release.id) &&
      (!r.family || r.family === release.family) &&
      (r.majors?.includes(major) || r.versions?.includes(release.versionId)),
  );
}

/** "CentOS, ... 7, 8, 9; Debian 10, 11, 12; Ubuntu 20.04, 22.04, 24.04", for messages. */
export function describeSupported(): string {
  return SUPPORTED_RELEASES.map((r) => `${r.names} ${(r.majors?.map(String) ?? r.versions ?? []).join(", ")}`).join(
    "; ",
  );
}
