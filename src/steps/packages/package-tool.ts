import type { FamilyKnowledge, Release } from "../../distro/index.js";
import { cmd } from "../../hosts/quote.js";
import { dnfProblem, dnfRemovals, parseDnfList, rpmSpec } from "./dnf-output.js";
import { aptSpec, parseMadison, removalReason, simulatedRemovals, type PackageSpec } from "./reinstall-plan.js";

/**
 * The read-only questions the restore asks the package manager, per family: which versions the
 * repositories offer, and whether installing some packages would hurt the container's software.
 */
export interface PackageTool {
  spec: PackageSpec;
  availableQuery(names: string[]): string;
  parseAvailable(stdout: string): Map<string, string[]>;
  /** A dry run of installing these specs (apt-get --simulate, dnf --assumeno): it changes nothing. */
  simulateQuery(specs: string[]): string;
  /** Why that install would hurt the container (what it removes, dnf's problem), or null when it is clean. */
  simulationRefusal(result: { code: number; stdout: string; stderr: string }): string | null;
  /** The real install, exactly as the gate shows it. */
  install(specs: string[]): string;
}

const yumOrDnf = (release: Release): string => (Number.parseInt(release.versionId, 10) <= 7 ? "yum" : "dnf");

export function packageToolFor(family: FamilyKnowledge, release: Release): PackageTool {
  if (family.family === "debian")
    return {
      spec: aptSpec,
      availableQuery: (names) => cmd("apt-cache", "madison", ...names),
      parseAvailable: parseMadison,
      simulateQuery: (specs) => cmd("apt-get", "install", "--simulate", ...specs),
      simulationRefusal: ({ code, stdout, stderr }) => {
        const removes = simulatedRemovals(stdout);
        if (removes.length > 0) return removalReason(removes);
        if (code === 0) return null;
        // "E: Unable to correct problems..." comes after the lines that say which dependency is broken.
        const why = `${stdout}\n${stderr}`
          .split("\n")
          .filter((l) => /^\s+\S+ : (Depends|Conflicts|Breaks)|^E: /.test(l));
        return `apt cannot install it: ${why.map((l) => l.trim()).join("; ") || `exit ${code}`}`;
      },
      install: (specs) => family.install(release, specs),
    };
  const tool = yumOrDnf(release);
  return {
    spec: rpmSpec,
    availableQuery: (names) => cmd(tool, "--showduplicates", "list", "available", ...names),
    parseAvailable: parseDnfList,
    simulateQuery: (specs) => cmd(tool, "--assumeno", "install", ...specs),
    simulationRefusal: ({ stdout, stderr }) => {
      const output = `${stdout}\n${stderr}`;
      const removes = dnfRemovals(output);
      if (removes.length > 0) return removalReason(removes);
      const problem = dnfProblem(output);
      return problem === null ? null : `${tool} refuses it: ${problem}`;
    },
    install: (specs) => family.install(release, specs),
  };
}
