import type { Family } from "../../distro/index.js";
import type { Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";
import { parseDpkgList, type InstalledPackage } from "./reinstall-plan.js";

/**
 * The installed packages of a host, name, version and architecture, as its package database lists them.
 * Read on the VM before the first copy (capture-target) and again after it (restore-vm-packages): what
 * the first list has and the second lacks is what the copy's --delete took away.
 */
const DPKG_FORMAT = "${Package}\\t${Version}\\t${Status}\\t${Architecture}\\n";
/** rpm prints the epoch only when the package has one; dnf shows versions the same way ("12:4.3.6-49.el8"). */
const RPM_FORMAT = "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n";

export function installedListCommand(family: Family): string {
  return family === "debian" ? sh`dpkg-query -W -f ${DPKG_FORMAT}` : sh`rpm -qa --qf ${RPM_FORMAT}`;
}

/** The same query for some packages only: dpkg-query and rpm -q say nothing useful for the others. */
export function installedSomeCommand(family: Family, names: string[]): string {
  return family === "debian" ? sh`dpkg-query -W -f ${DPKG_FORMAT} ${names}` : sh`rpm -q --qf ${RPM_FORMAT} ${names}`;
}

export function parseInstalledList(family: Family, stdout: string): InstalledPackage[] {
  if (family === "debian") return parseDpkgList(stdout);
  return stdout
    .split("\n")
    .map((line) => line.split("\t"))
    .filter((f) => f.length === 3 && f[0] !== "gpg-pubkey") // rpm's imported signing keys are not packages
    .map(([name, version, arch]) => ({
      name: name!.trim(),
      version: version!.trim().replace(/^0:/, ""),
      arch: arch!.trim(),
    }));
}

export async function readInstalledPackages(
  host: Host,
  family: Family,
  signal?: AbortSignal,
): Promise<InstalledPackage[]> {
  const result = await host.exec(installedListCommand(family), { signal });
  if (result.code !== 0)
    throw new Error(
      `listing the installed packages failed on ${host.role}: ${result.stderr.trim() || `exit ${result.code}`}`,
    );
  return parseInstalledList(family, result.stdout);
}
