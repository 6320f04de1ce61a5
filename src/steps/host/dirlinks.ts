import type { Host } from "../../hosts/host.js";

export const TOP_LINKS = ["/bin", "/sbin", "/lib", "/lib64"];

export interface LinkState {
  path: string;
  /** "dir", "absent", or "-> target" for a symlink. */
  state: string;
}

export async function readTopLinks(host: Host): Promise<LinkState[]> {
  // asked together: a host that takes several commands at once answers them in one round trip
  const stats = await Promise.all(TOP_LINKS.map((path) => host.stat(path)));
  return TOP_LINKS.map((path, i) => {
    const s = stats[i];
    return { path, state: !s ? "absent" : s.type === "symlink" ? `-> ${s.linkTarget ?? "?"}` : s.type };
  });
}

const linked = (states: LinkState[]): boolean => states.some((s) => s.state.startsWith("->"));

export interface DirlinkVerdict {
  keepDirlinks: boolean;
  /** Set when the copy cannot be made safe: why. */
  block?: string;
  summary: string;
}

/**
 * usrmerge: a merged target must keep its /lib -> usr/lib links (rsync -K); an unmerged source onto a
 * merged target would pour /lib into /usr/lib where --delete removes what only /usr/lib had, and a merged
 * source onto an unmerged target would try to replace full directories with links: both refused.
 */
export function compareTopLinks(source: LinkState[], target: LinkState[]): DirlinkVerdict {
  const summary = TOP_LINKS.map(
    (p, i) => `${p}: source ${source[i]?.state ?? "?"}, target ${target[i]?.state ?? "?"}`,
  ).join("; ");
  // --delete removes what the source lacks: a target /lib64 (the 64-bit loader every binary needs) missing
  // from the source means another architecture (a 32-bit container onto a 64-bit VM).
  const onlyOnTarget = TOP_LINKS.filter(
    (_, i) => source[i]?.state === "absent" && target[i] !== undefined && target[i].state !== "absent",
  );
  if (onlyOnTarget.length > 0) {
    return {
      keepDirlinks: linked(target),
      summary,
      block: `the target has ${onlyOnTarget.join(", ")} and the source does not: --delete would remove it from the target${onlyOnTarget.includes("/lib64") ? " (/lib64 holds the 64-bit program loader every binary needs)" : ""}. The source is probably another architecture (a 32-bit container): install the target VM with the source's architecture`,
    };
  }
  const differing = TOP_LINKS.filter(
    (_, i) =>
      source[i]?.state !== target[i]?.state && !(source[i]?.state === "absent" || target[i]?.state === "absent"),
  );
  const targetMerged = linked(target);
  if (differing.length === 0) return { keepDirlinks: targetMerged, summary };
  if (targetMerged && !linked(source)) {
    return {
      keepDirlinks: true,
      summary,
      block: `the target is usrmerged (${differing.join(", ")} are links into /usr) and the source is not: copying would merge the source's /lib into /usr/lib and --delete would remove files only /usr/lib had. Merge the source first (Debian/Ubuntu: apt-get install usrmerge) or install the target unmerged`,
    };
  }
  return {
    keepDirlinks: targetMerged,
    summary,
    block: `the top-level links differ (${differing.join(", ")}): the source is usrmerged and the target is not (or they link elsewhere); rsync would have to replace whole directories with links. Install the target from the same media as the source or merge it (apt-get install usrmerge)`,
  };
}
