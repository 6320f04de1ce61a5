import type { PackageSpec } from "./reinstall-plan.js";

/**
 * The EL family's package manager output, as dnf 4 (EL8, EL9) and yum 3 (EL7) print it: pure parsers, so
 * each has its own test on real output.
 */

/** dnf and yum take "name-[epoch:]version-release" for one exact version, the bare name for the candidate. */
export const rpmSpec: PackageSpec = (name, version) => (version === null ? name : `${name}-${version}`);

/**
 * `dnf --showduplicates list available NAMES`: after the "Available Packages" heading, one
 * "name.arch  [epoch:]version-release  repo" row per offered version, oldest first. A name.arch too long
 * for its column stands alone and its version and repository follow on the next line. The versions come
 * back newest first, as `apt-cache madison` gives them.
 */
export function parseDnfList(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const words: string[] = [];
  let listing = false;
  for (const line of stdout.split("\n")) {
    if (/^(Available|Installed) Packages$/.test(line.trim())) {
      listing = /^Available/.test(line.trim());
      words.length = 0;
      continue;
    }
    if (!listing) continue;
    words.push(...line.trim().split(/\s+/).filter(Boolean));
    while (words.length >= 3) {
      const [nameArch, version] = words.splice(0, 3);
      const name = nameArch!.replace(/\.[^.]+$/, "");
      const versions = out.get(name) ?? [];
      if (!versions.includes(version!)) out.set(name, [version!, ...versions]);
    }
  }
  return out;
}

/**
 * Why `dnf --assumeno install SPECS` would fail, or null when its transaction resolves (it then ends with
 * "Operation aborted." and exit 1 all the same). dnf explains a conflict in a "Problem:" block: its
 * lines joined are the reason.
 */
export function dnfProblem(output: string): string | null {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => /^\s*Problem( \d+)?: /.test(l));
  if (start < 0) {
    const error = lines.find((l) => /^Error: \S/.test(l));
    return error ? error.replace(/^Error: /, "").trim() : null;
  }
  const block = lines.slice(start).filter((l) => /^\s*(Problem( \d+)?: |- )/.test(l));
  return block
    .map((l) => l.trim().replace(/^Problem( \d+)?: |^- /, ""))
    .filter((l) => l !== "conflicting requests")
    .join("; ");
}

/** The packages the transaction would remove: rows under "Removing:" / "Removing dependent packages:". */
export function dnfRemovals(output: string): string[] {
  const out: string[] = [];
  let removing = false;
  for (const line of output.split("\n")) {
    if (/^[A-Z][A-Za-z ]*:\s*$/.test(line)) removing = /^Removing/.test(line);
    else if (removing && /^ \S+\s+\S+\s+\S+/.test(line)) out.push(line.trim().split(/\s+/)[0]!);
    else if (line.trim() === "" || /^=+$/.test(line)) removing = false;
  }
  return out;
}
