import type { Host } from "../../hosts/host.js";
import type { PackageTool } from "./package-tool.js";
import { planReinstall, removedByCopy, type InstalledPackage } from "./reinstall-plan.js";

/** What restore-vm-packages applies: the VM's packages the copy removed, put back as one install. */
export interface RestorePlan {
  /** Each package to install: the VM's version, or null for the repositories' candidate. */
  packages: Array<{ name: string; version: string | null }>;
  /** The one install command ("" when there is nothing to install). */
  install: string;
  exceptions: Array<{ name: string; reason: string }>;
  /** One line per package not put back exactly as the VM had it. */
  report: string[];
  /** Missing packages another step owns (kernel-install's kernel and boot packages): not installed here. */
  leftToOthers: string[];
  /** Set when the whole set's simulation failed without one package to blame: the install may fail too. */
  unexplained?: string;
}

export interface RestoreInput {
  host: Host;
  tool: PackageTool;
  /** The VM's packages, recorded before the first copy. */
  vm: InstalledPackage[];
  /** Its packages now, after the copy (and after the kernel install). */
  now: InstalledPackage[];
  ownedElsewhere: Set<string>;
  signal?: AbortSignal;
}

/**
 * Reads the repositories and the package manager's dry runs and decides the restore. A dry run of the
 * whole set comes first; only when it would hurt the container is each package tried alone, so the
 * common case costs two commands whatever the number of packages.
 */
export async function planRestore(input: RestoreInput): Promise<RestorePlan> {
  const { host, tool, signal } = input;
  const seen = new Set<string>();
  // dpkg lists a package once per architecture (multiarch): one install of the name puts back the native one.
  const missing = removedByCopy(input.vm, input.now).filter((p) => !seen.has(p.name) && seen.add(p.name));
  const leftToOthers = missing.filter((p) => input.ownedElsewhere.has(p.name)).map((p) => p.name);
  const removed = missing.filter((p) => !input.ownedElsewhere.has(p.name));
  const empty: RestorePlan = { packages: [], install: "", exceptions: [], report: [], leftToOthers };
  if (removed.length === 0) return empty;

  const offered = await host.exec(tool.availableQuery(removed.map((p) => p.name)), { signal });
  const available = tool.parseAvailable(offered.stdout);
  const first = planReinstall(removed, available, new Map(), tool.spec);
  const refused = new Map<string, string>();
  let unexplained: string | undefined;
  if (first.install.length > 0) {
    const whole = tool.simulationRefusal(await host.exec(tool.simulateQuery(first.install), { signal }));
    if (whole !== null) {
      for (const [i, spec] of first.install.entries()) {
        const alone = tool.simulationRefusal(await host.exec(tool.simulateQuery([spec]), { signal }));
        if (alone !== null) refused.set(first.packages[i]!.name, alone);
      }
      if (refused.size === 0) unexplained = whole;
    }
  }
  const plan = refused.size === 0 ? first : planReinstall(removed, available, refused, tool.spec);
  return {
    packages: plan.packages,
    install: plan.install.length > 0 ? tool.install(plan.install) : "",
    exceptions: plan.exceptions,
    report: plan.report,
    leftToOthers,
    ...(unexplained ? { unexplained } : {}),
  };
}
