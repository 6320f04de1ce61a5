/**
 * Which of the VM's own packages the copy removed, and how to put them back: pure functions over the
 * package manager's output, so each decision has its own test. Debian's formats: dpkg-query with
 * `${Package}\t${Version}\t${Status}`, `apt-cache madison`, `apt-get install --simulate`.
 */
export interface InstalledPackage {
  name: string;
  version: string;
}

/** Installed packages only ("install ok installed"); removed-but-configured ones do not count. */
export function parseDpkgList(stdout: string): InstalledPackage[] {
  return stdout
    .split("\n")
    .map((line) => line.split("\t"))
    .filter((f) => f.length >= 3 && f[2]!.trim() === "install ok installed")
    .map((f) => ({ name: f[0]!.trim(), version: f[1]!.trim() }));
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

export interface ReinstallPlan {
  /** apt-get install arguments: name=version where the repositories have it, else the name (their candidate). */
  install: string[];
  /** One line per package not put back as it was, with the reason. */
  report: string[];
  exceptions: Array<{ name: string; reason: string }>;
}

/**
 * The reinstall: every removed package at its exact version where the repositories still offer it (else
 * the candidate, said so), except those whose install would remove a package the container brought
 * (apt's simulation of that package alone shows the removal): the container's software wins, reported.
 */
export function planReinstall(
  removed: InstalledPackage[],
  available: Map<string, string[]>,
  removalsIfInstalled: Map<string, string[]>,
): ReinstallPlan {
  const plan: ReinstallPlan = { install: [], report: [], exceptions: [] };
  for (const p of removed) {
    const wouldRemove = removalsIfInstalled.get(p.name) ?? [];
    if (wouldRemove.length > 0) {
      plan.exceptions.push({
        name: p.name,
        reason: `installing it would remove ${wouldRemove.join(", ")}, which the container runs`,
      });
      continue;
    }
    const versions = available.get(p.name);
    if (!versions || versions.length === 0) {
      plan.exceptions.push({ name: p.name, reason: "no repository offers it any more" });
      continue;
    }
    if (versions.includes(p.version)) plan.install.push(`${p.name}=${p.version}`);
    else {
      plan.install.push(p.name);
      plan.report.push(
        `${p.name}: the VM had ${p.version}, which no repository offers now; the candidate ${versions[0]} is installed`,
      );
    }
  }
  for (const e of plan.exceptions) plan.report.push(`${e.name}: not reinstalled, ${e.reason}`);
  return plan;
}
