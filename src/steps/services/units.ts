import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { systemctlError } from "./systemctl-error.js";

/** Units that bring a VM's network up: whichever the target has enabled must be enabled again after the copy. */
export const NETWORK_UNITS = [
  "NetworkManager.service",
  "systemd-networkd.service",
  "networking.service",
  "network.service",
  "systemd-resolved.service",
];

/**
 * Stateful daemons stopped for the final pass wherever they run. Debian's postgresql.service is the
 * umbrella its postgresql@VERSION-CLUSTER units are PartOf, so stopping it stops every cluster.
 */
export const KNOWN_DATABASES = [
  "mariadb.service",
  "mysql.service",
  "mysqld.service",
  "postgresql.service",
  "redis-server.service",
  "redis.service",
  "mongod.service",
];

export interface UnitState {
  /** The unit's real name (aliases resolve: mysql.service -> mariadb.service on Debian). */
  id: string;
  asked: string;
  loaded: boolean;
  active: boolean;
  activeState: string;
  /** enabled / disabled / static / ... ("" when the unit file is missing). */
  unitFileState: string;
}

/** The unit types systemd knows (systemd.unit(5)): a name ending in one is a whole unit name. */
export const UNIT_TYPES = [
  "service",
  "socket",
  "target",
  "device",
  "mount",
  "automount",
  "swap",
  "timer",
  "path",
  "slice",
  "scope",
];

/** The unit systemctl reads a name as: one without a unit type is a service, as systemctl takes it. */
export const unitName = (name: string): string =>
  UNIT_TYPES.some((type) => name.endsWith(`.${type}`)) ? name : `${name}.service`;

export function showUnitsCommand(units: string[]): string {
  return cmd(
    "systemctl",
    "show",
    "-p",
    "Id",
    "-p",
    "LoadState",
    "-p",
    "ActiveState",
    "-p",
    "UnitFileState",
    "--",
    ...units,
  );
}

/** `systemctl show` prints one KEY=value block per unit, separated by blank lines. */
export function parseShowBlocks(stdout: string): Array<Record<string, string>> {
  return stdout
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block !== "")
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return fields;
    });
}

/** The blocks in the order asked. */
export function parseShowUnits(stdout: string, asked: string[]): UnitState[] {
  return parseShowBlocks(stdout).map((fields, i) => {
    const loadState = fields.LoadState ?? "not-found";
    const activeState = fields.ActiveState ?? "unknown";
    return {
      id: fields.Id ?? asked[i] ?? "?",
      asked: asked[i] ?? fields.Id ?? "?",
      loaded: loadState === "loaded",
      active: activeState === "active",
      activeState,
      unitFileState: fields.UnitFileState ?? "",
    };
  });
}

export async function showUnits(host: Host, units: string[], signal?: AbortSignal): Promise<UnitState[]> {
  if (units.length === 0) return [];
  const result = await host.exec(showUnitsCommand(units), { signal });
  if (result.code !== 0) throw systemctlError("systemctl show", host.role, result);
  return parseShowUnits(result.stdout, units);
}

/**
 * Database units named by version or instance, found by pattern: PGDG's postgresql-NN (EL) and Debian's
 * postgresql@VERSION-CLUSTER (a cluster started on its own, outside the postgresql.service umbrella).
 */
const DATABASE_UNIT_PATTERNS = ["postgresql-*.service", "postgresql@*.service"];

export const listDatabaseUnitsCommand = (): string =>
  cmd("systemctl", "list-units", "--type=service", "--all", "--plain", "--no-legend", "--", ...DATABASE_UNIT_PATTERNS);

/** `systemctl list-units --plain --no-legend` lines: UNIT LOAD ACTIVE SUB DESCRIPTION. */
function parseListUnits(stdout: string): Array<{ id: string; loaded: boolean; active: boolean }> {
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([id]) => id !== undefined && /\.service$/.test(id))
    .map(([id, load, active]) => ({ id: id!, loaded: load === "loaded", active: active === "active" }));
}

/**
 * The source's running database units: known ones, those found by pattern, and the plan's, aliases folded to
 * one unit each; missingFromPlan: the plan's names the source has no unit for, as the plan wrote them.
 */
export async function detectDatabases(
  source: Host,
  planDatabases: string[],
  signal?: AbortSignal,
): Promise<{ active: string[]; installedInactive: string[]; missingFromPlan: string[] }> {
  const asked = [...new Set([...KNOWN_DATABASES, ...planDatabases.map(unitName)])];
  const states = await showUnits(source, asked, signal);
  const listed = await source.exec(listDatabaseUnitsCommand(), { signal });
  if (listed.code !== 0) throw systemctlError("systemctl list-units", source.role, listed);
  const active = new Set<string>();
  const inactive = new Set<string>();
  const notFound = new Set<string>();
  for (const s of states) {
    if (s.active) active.add(s.id);
    else if (s.loaded) inactive.add(s.id);
    else notFound.add(s.asked);
  }
  // As the plan wrote them: "mariadb.servce", not the "mariadb.servce.service" systemctl was asked about.
  const missing = [...new Set(planDatabases.filter((name) => notFound.has(unitName(name))))];
  for (const unit of parseListUnits(listed.stdout)) {
    if (unit.active) active.add(unit.id);
    else if (unit.loaded) inactive.add(unit.id);
  }
  for (const a of active) inactive.delete(a);
  return { active: [...active].sort(), installedInactive: [...inactive].sort(), missingFromPlan: missing };
}
