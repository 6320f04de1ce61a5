import type { LabSsh } from "../../../src/lab/ssh-client.js";
import { sh } from "../../../src/hosts/quote.js";

/** One file system entry as the manifest records it. */
export interface Entry {
  type: string;
  mode: string;
  uid: string;
  gid: string;
  size: string;
  link: string;
  hash?: string;
  xattrs?: string;
}

export interface Manifest {
  entries: Map<string, Entry>;
  /** Each entry's last status change (ctime, ms since the epoch): kept apart, as the two hosts' always differ. */
  changedAtMs: Map<string, number>;
  /** Hard-link groups: sorted paths sharing one inode, joined by " = ". */
  linkGroups: Set<string>;
}

/**
 * Builds a manifest of a live root over SSH: path, type, mode, uid, gid, size (not for directories,
 * whose size depends on the file system), symlink target, content hash, xattrs and hard-link groups.
 * `prune` paths (and everything under them) are left out; `roots` limits it to some trees (default: all of /).
 */
export async function collectManifest(host: LabSsh, prune: string[], roots: string[] = ["/"]): Promise<Manifest> {
  const pruneExpr = prune.flatMap((p, i) => (i === 0 ? ["-path", p] : ["-o", "-path", p]));
  const pruned = prune.length > 0 ? `\\( ${sh`${pruneExpr}`} \\) -prune -o ` : "";
  const find = (tail: string) => `find ${sh`${roots}`} -xdev ${pruned}${tail}`;
  const script = [
    "echo '#entries'",
    find(`-printf '%p\\t%y\\t%m\\t%U\\t%G\\t%s\\t%l\\t%i\\t%n\\t%C@\\n'`),
    "echo '#hashes'",
    find("-type f -print0") + " | xargs -0 -r md5sum",
    "echo '#xattrs'",
    find("-print0") + " | xargs -0 -r getfattr -h -d -m - -e hex --absolute-names 2>/dev/null; true",
  ].join("\n");
  const out = await host.run(script, { timeoutMs: 20 * 60_000 });
  return parseManifest(out);
}

function parseManifest(out: string): Manifest {
  const entries = new Map<string, Entry>();
  const changedAtMs = new Map<string, number>();
  const inodes = new Map<string, string[]>();
  let section = "";
  let xattrPath: string | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("#entries") || line.startsWith("#hashes") || line.startsWith("#xattrs")) {
      section = line;
      continue;
    }
    if (section === "#entries" && line) {
      const [path, type, mode, uid, gid, size, link, inode, nlink, ctime] = line.split("\t");
      if (!path || !type) continue;
      changedAtMs.set(path, Number(ctime) * 1000);
      entries.set(path, { type, mode: mode!, uid: uid!, gid: gid!, size: type === "d" ? "" : size!, link: link ?? "" });
      if (type !== "d" && Number(nlink) > 1) inodes.set(inode!, [...(inodes.get(inode!) ?? []), path]);
    } else if (section === "#hashes" && line) {
      const match = /^([0-9a-f]{32}) {2}(.*)$/.exec(line);
      const entry = match ? entries.get(match[2]!) : undefined;
      if (entry) entry.hash = match![1];
    } else if (section === "#xattrs") {
      if (line.startsWith("# file: ")) xattrPath = line.slice("# file: ".length);
      else if (line && xattrPath) {
        const entry = entries.get(xattrPath);
        if (entry) entry.xattrs = [entry.xattrs, line].filter(Boolean).join(" ");
      }
    }
  }
  const linkGroups = new Set([...inodes.values()].filter((g) => g.length > 1).map((g) => g.sort().join(" = ")));
  return { entries, changedAtMs, linkGroups };
}

/** Paths of `source` missing or different on `target`, and target paths the source does not have. */
export function compareManifests(
  source: Manifest,
  target: Manifest,
): { missing: string[]; different: string[]; extra: string[]; linkGroups: string[] } {
  const missing: string[] = [];
  const different: string[] = [];
  for (const [path, entry] of source.entries) {
    const other = target.entries.get(path);
    if (!other) missing.push(path);
    else if (JSON.stringify(entry) !== JSON.stringify(other))
      different.push(`${path}: ${JSON.stringify(entry)} != ${JSON.stringify(other)}`);
  }
  const extra = [...target.entries.keys()].filter((p) => !source.entries.has(p));
  const linkGroups = [...source.linkGroups].filter((g) => !target.linkGroups.has(g));
  return { missing, different, extra, linkGroups };
}

type Comparison = ReturnType<typeof compareManifests>;

/**
 * The comparison without the source's paths missing or different on the target that changed on the source after
 * `sinceMs` (the freeze's start: the source runs on after the copy); those are listed in `afterCopy` instead.
 */
export function setApartChangedSince(
  comparison: Comparison,
  source: Pick<Manifest, "changedAtMs">,
  sinceMs: number,
): Comparison & { afterCopy: string[] } {
  const pathOf = (different: string) => different.slice(0, different.indexOf(": {"));
  const later = (path: string) => (source.changedAtMs.get(path) ?? 0) > sinceMs;
  return {
    ...comparison,
    missing: comparison.missing.filter((p) => !later(p)),
    different: comparison.different.filter((d) => !later(pathOf(d))),
    afterCopy: [...comparison.missing, ...comparison.different.map(pathOf)].filter(later),
  };
}
