/**
 * Which of the VM's own packages the copy removed, and how to put them back: pure functions over the
 * package manager's output, so each decision has its own test. Debian's formats: dpkg-query with
 * `${Package}\t${Version}\t${Status}[\t${Architecture}]`, `apt-cache madison`, `apt-get install --simulate`
 * (the EL family's are in dnf-output.ts).
 */
export interface InstalledPackage {
  name: string;
  version: string;
  arch?: string;
}

/** Installed packages only ("install ok installed"); removed-but-configured ones do not count. */
export function parseDpkgList(stdout: string): InstalledPackage[] {
  return stdout
    .split("\n")
    .map((line) => line.split("\t"))
    .filter((f) => f.length >= 3 && f[2]!.trim() === "install ok installed")
    .map((f) => ({ name: f[0]!.trim(), version: f[1]!.trim(), ...(f[3] ? { arch: f[3].trim() } : {}) }));
}

/** The VM's packages the copy took away (absent from the copied package database). */
export function removedByCopy(vm: InstalledPackage[], now: InstalledPackage[]): InstalledPackage[] {
  const present = new Set(now.map((p) => p.name));
  return vm.filter((p) => !present.has(p.name));
}

/** `apt-cache madison`: "name | version | source" lines; every version the repositories offer, per package. */
export function parseMadison(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of stdout.split("\n")) {
    const [name, version] = line.split("|").map((f) => f.trim());
    if (!name || !version) continue;
    out.set(name, [...(out.get(name) ?? []), version]);
  }
  return out;
}

/** Packages `apt-get install --simulate` would remove ("Remv NAME [version]" lines). */
export function simulatedRemovals(stdout: string): string[] {
  return [...stdout.matchAll(/^Remv (\S+)/gm)].map((m) => m[1]!);
}

/** How the package manager is asked for a package: at a version, or (null) its candidate. */
export type PackageSpec = (name: string, version: string | null) => string;
export const aptSpec: PackageSpec = (name, version) => (version === null ? name : `${name}=${version}`);

/** Why installing this package would hurt the container's software, per package (apt: the packages it would remove). */
export function removalReason(wouldRemove: string[]): string {
  return `installing it would remove ${wouldRemove.join(", ")}, which the container runs`;
}

export interface ReinstallPlan {
  /** Install arguments: name at the VM's version where the repositories have it, else the name (their candidate). */
  install: string[];
  /** The same, as data: the version asked for, or null for the candidate. */
  packages: Array<{ name: string; version: string | null }>;
  /** One line per package not put back as it was, with the reason. */
  report: string[];
  exceptions: Array<{ name: string; reason: string }>;
}

/**
 * The reinstall: every removed package at its exact version where the repositories still offer it (else
 * the candidate, said so), except those `refused` names with its reason (the package manager's simulation
 * of that package alone shows it would remove or conflict with the container's): the container's software
 * wins, reported.
 */
export function planReinstall(
  removed: InstalledPackage[],
  available: Map<string, string[]>,
  refused: Map<string, string>,
  spec: PackageSpec = aptSpec,
): ReinstallPlan {
  const plan: ReinstallPlan = { install: [], packages: [], report: [], exceptions: [] };
  for (const p of removed) {
    const reason = refused.get(p.name);
    if (reason !== undefined) {
      plan.exceptions.push({ name: p.name, reason });
      continue;
    }
    const versions = available.get(p.name);
    if (!versions || versions.length === 0) {
      plan.exceptions.push({ name: p.name, reason: "no repository offers it any more" });
      continue;
    }
    const exact = versions.includes(p.version);
    plan.packages.push({ name: p.name, version: exact ? p.version : null });
    plan.install.push(spec(p.name, exact ? p.version : null));
    if (!exact)
      plan.report.push(
        `${p.name}: the VM had ${p.version}, which no repository offers now; the candidate ${versions[0]} is installed`,
      );
  }
  for (const e of plan.exceptions) plan.report.push(`${e.name}: not reinstalled, ${e.reason}`);
  return plan;
}
