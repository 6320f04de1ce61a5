import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { closestKey } from "../../plan/key-suggestions.js";
import { parseUnitList } from "./unit-lists.js";
import { UNIT_TYPES, unitName } from "./units.js";

export const LIST_SERVICE_FILES_COMMAND = cmd("systemctl", "list-unit-files", "--type=service", "--no-legend");

/**
 * The host's service units (installed unit files, aliases included), for a "did you mean": none when they
 * cannot be listed, since only the hint depends on them.
 */
export async function serviceUnitFiles(host: Host, signal?: AbortSignal): Promise<string[]> {
  const listed = await host.exec(LIST_SERVICE_FILES_COMMAND, { signal });
  return listed.code === 0 ? parseUnitList(listed.stdout) : [];
}

const typeOf = (name: string): string | undefined => /\.([A-Za-z]+)$/.exec(name)?.[1];

/**
 * A unit name as a plan wrote it, for a message: "mariadbb" as the unit looked for (mariadbb.service), but a
 * name ending in a misspelt unit type (mariadb.servce) as written, not as "mariadb.servce.service".
 */
export function unitAsWritten(name: string): string {
  const type = typeOf(name);
  return type !== undefined && closestKey(type, UNIT_TYPES) !== undefined ? name : unitName(name);
}

/** The host's unit a misspelt name most likely meant ("mariadbb" and "mariadb.servce": mariadb.service). */
export function closestUnit(name: string, units: string[]): string | undefined {
  // Compared with the whole name and with the name without its type: a plan may write either.
  const byCandidate = new Map<string, string>();
  for (const unit of units) {
    byCandidate.set(unit, unit);
    const type = typeOf(unit);
    const stem = type ? unit.slice(0, -type.length - 1) : unit;
    if (!byCandidate.has(stem)) byCandidate.set(stem, unit);
  }
  const meant = closestKey(name, [...byCandidate.keys()]);
  return meant === undefined ? undefined : byCandidate.get(meant);
}
