import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { systemctlError } from "./systemctl-error.js";

export const FAILED_UNITS_COMMAND = cmd("systemctl", "--failed", "--plain", "--no-legend");
export const ACTIVE_SERVICES_COMMAND = cmd(
  "systemctl",
  "list-units",
  "--type=service",
  "--state=active",
  "--plain",
  "--no-legend",
);

/**
 * Unit names from `systemctl list-units --plain --no-legend` lines ("cron.service loaded active running
 * Regular background..."). Versions that still print a status mark before a unit ("●", "*") are read too.
 */
export function parseUnitList(stdout: string): string[] {
  const units: string[] = [];
  for (const line of stdout.split("\n")) {
    const words = line.trim().split(/\s+/);
    const name = words[0] === "●" || words[0] === "*" ? words[1] : words[0];
    if (name && /\.[a-z]+$/.test(name) && !units.includes(name)) units.push(name);
  }
  return units.sort();
}

async function listUnits(host: Host, command: string, signal?: AbortSignal): Promise<string[]> {
  const r = await host.exec(command, { signal });
  if (r.code !== 0) throw systemctlError(command, host.role, r);
  return parseUnitList(r.stdout);
}

export const failedUnits = (host: Host, signal?: AbortSignal): Promise<string[]> =>
  listUnits(host, FAILED_UNITS_COMMAND, signal);

export const activeServices = (host: Host, signal?: AbortSignal): Promise<string[]> =>
  listUnits(host, ACTIVE_SERVICES_COMMAND, signal);
