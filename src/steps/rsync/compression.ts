import type { Host } from "../../hosts/host.js";

/**
 * rsync's -S only saves writes: the zeros of a sparse file or of a database's preallocated files still
 * cross the link byte for byte. Compressed, they cost next to nothing. zstd compresses faster than zlib
 * at a better ratio, and rsync has it from 3.2 on when built with libzstd (its `--version` then shows a
 * "Compress list:" naming zstd); `--compress-choice` is refused by an rsync that does not know it, so it
 * is passed only when both ends list zstd.
 */
export const RSYNC_VERSION_COMMAND = "rsync --version";

export interface RsyncBuild {
  /** "3.2.7", or null when the first line is not rsync's */
  version: string | null;
  /** The "Compress list:" words; null for an rsync before 3.2 (no list: zlib only). */
  compressors: string[] | null;
}

export function parseRsyncVersion(output: string): RsyncBuild | null {
  const version = /^rsync\s+version\s+v?(\S+)/m.exec(output)?.[1] ?? null;
  if (version === null) return null;
  const lines = output.split("\n");
  const at = lines.findIndex((l) => /^Compress list:\s*$/.test(l));
  if (at < 0) return { version, compressors: null };
  const compressors: string[] = [];
  // The list is indented on the lines after its heading (a wide one wraps), up to the next heading.
  for (const line of lines.slice(at + 1)) {
    if (!/^\s+\S/.test(line)) break;
    compressors.push(...line.trim().split(/\s+/));
  }
  return { version, compressors };
}

/** True when rsync `version` ("3.0.9", "3.2.7", "3.4.0pre1") is `wanted` ([3, 1, 0]) or later. */
export function versionAtLeast(version: string, wanted: readonly number[]): boolean {
  const parts = version.split(/[.pre]/).map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < wanted.length; i++) {
    const have = Number.isFinite(parts[i]) ? parts[i]! : 0;
    if (have !== wanted[i]) return have > wanted[i]!;
  }
  return true;
}

export interface CompressionChoice {
  /** What rsync gets: ["--compress", "--compress-choice=zstd"], ["--compress"] or []. */
  flags: string[];
  /** One line for the gate and the dry-run report: what is used and, when not zstd, why. */
  summary: string;
  /** True when the copy goes uncompressed: worth a warning. */
  uncompressed: boolean;
}

type Side = { role: "source" | "target"; build: RsyncBuild | null };

const hasZstd = (s: Side): boolean => s.build?.compressors?.includes("zstd") ?? false;

function whyNoZstd(s: Side): string {
  if (!s.build) return `the ${s.role}'s rsync --version could not be read`;
  if (s.build.compressors === null) return `the ${s.role}'s rsync ${s.build.version} predates zstd support (rsync 3.2)`;
  return `the ${s.role}'s rsync ${s.build.version} was built without zstd (it lists: ${s.build.compressors.join(" ") || "nothing"})`;
}

/** zstd when both ends list it; else rsync's own negotiation (zlib with an rsync before 3.2); none when a version is unreadable. */
export function chooseCompression(source: RsyncBuild | null, target: RsyncBuild | null): CompressionChoice {
  const sides: Side[] = [
    { role: "source", build: source },
    { role: "target", build: target },
  ];
  if (sides.every(hasZstd))
    return {
      flags: ["--compress", "--compress-choice=zstd"],
      summary: `compression: zstd (both ends' rsync list it: source ${source!.version}, target ${target!.version})`,
      uncompressed: false,
    };
  const unreadable = sides.filter((s) => !s.build);
  if (unreadable.length > 0)
    return {
      flags: [],
      summary: `compression: none, ${unreadable.map(whyNoZstd).join(" and ")}: zeros and text cross the link uncompressed`,
      uncompressed: true,
    };
  const why = sides
    .filter((s) => !hasZstd(s))
    .map(whyNoZstd)
    .join("; ");
  return {
    flags: ["--compress"],
    summary: `compression: --compress without zstd (zlib, or what both ends list): ${why}`,
    uncompressed: false,
  };
}

/** Both ends' rsync builds; null for a side whose `rsync --version` is not readable. */
export interface RsyncBuilds {
  source: RsyncBuild | null;
  target: RsyncBuild | null;
}

/** Reads both ends' rsync builds (the probe's part). */
export async function probeRsyncBuilds(source: Host, target: Host, signal?: AbortSignal): Promise<RsyncBuilds> {
  const read = async (host: Host): Promise<RsyncBuild | null> => {
    const r = await host.exec(RSYNC_VERSION_COMMAND, { signal });
    return r.code === 0 ? parseRsyncVersion(r.stdout) : null;
  };
  // both at once: on a slow host `rsync --version` alone takes a tenth of a second
  const [sourceBuild, targetBuild] = await Promise.all([read(source), read(target)]);
  return { source: sourceBuild, target: targetBuild };
}

/** Reads both ends' rsync builds and chooses. */
export async function probeCompression(source: Host, target: Host, signal?: AbortSignal): Promise<CompressionChoice> {
  const builds = await probeRsyncBuilds(source, target, signal);
  return chooseCompression(builds.source, builds.target);
}
