import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { parseShowBlocks } from "./units.js";
import { systemctlError } from "./systemctl-error.js";

/**
 * What the freeze stops on the source: the database services and every unit that can start them again
 * behind the tool's back. A socket-activated database (Debian's mariadb.socket) restarts on the first
 * client connection after its service stopped, and the rows it then acknowledges never reach the target.
 */
export interface FreezeSet {
  services: string[];
  /** Active units listed in the services' TriggeredBy (sockets, paths, timers): stopped first, started again. */
  triggers: string[];
}

/** One unit's state as `systemctl show` prints it: the stamp changes each time the unit becomes active. */
export interface UnitStamp {
  id: string;
  activeState: string;
  activeEnter: string;
}

export const showPropsCommand = (props: string[], units: string[]): string =>
  cmd("systemctl", "show", ...props.flatMap((p) => ["-p", p]), "--", ...units);

async function showProps(
  host: Host,
  props: string[],
  units: string[],
  signal?: AbortSignal,
): Promise<Array<Record<string, string>>> {
  if (units.length === 0) return [];
  const result = await host.exec(showPropsCommand(props, units), { signal });
  if (result.code !== 0) throw systemctlError("systemctl show", host.role, result);
  return parseShowBlocks(result.stdout);
}

export const TRIGGER_PROPS = ["Id", "TriggeredBy"];
export const STATE_PROPS = ["Id", "ActiveState"];
export const STAMP_PROPS = ["Id", "ActiveState", "ActiveEnterTimestampMonotonic"];

/**
 * The services plus the active units that trigger them. `startedFirst`: units stopped now that the run starts
 * before it freezes (an earlier run's pending undo): counted as active, as the run will find them.
 */
export async function freezeSetOf(
  host: Host,
  services: string[],
  signal?: AbortSignal,
  startedFirst: ReadonlySet<string> = new Set(),
): Promise<FreezeSet> {
  const blocks = await showProps(host, TRIGGER_PROPS, services, signal);
  const named = [...new Set(blocks.flatMap((b) => (b.TriggeredBy ?? "").split(/\s+/)).filter((u) => u !== ""))].sort();
  const states = await showProps(host, STATE_PROPS, named, signal);
  const triggers = states
    .filter((s) => s.Id && (s.ActiveState === "active" || startedFirst.has(s.Id)))
    .map((s) => s.Id!);
  return { services, triggers };
}

/** Triggers first, so nothing can start a service between its stop and its trigger's. One transaction either way. */
export const freezeUnits = (set: FreezeSet): string[] => [...set.triggers, ...set.services];

export async function unitStamps(host: Host, units: string[], signal?: AbortSignal): Promise<UnitStamp[]> {
  const blocks = await showProps(host, STAMP_PROPS, units, signal);
  return blocks.map((b, i) => ({
    id: b.Id ?? units[i] ?? "?",
    activeState: b.ActiveState ?? "unknown",
    activeEnter: b.ActiveEnterTimestampMonotonic ?? "",
  }));
}

/** Units of a stopped set that run now (db-freeze before its final pass counts, cutover before it keeps the source down). */
export async function runningNow(host: Host, units: string[], signal?: AbortSignal): Promise<string[]> {
  if (units.length === 0) return [];
  const now = await unitStamps(host, units, signal);
  return unitsThatRan(now, now);
}

const stopped = (state: string): boolean => state === "inactive" || state === "failed";

/**
 * Which units ran at some point between two readings: active now, or activated since (the stamp moved).
 * Empty means the source stayed frozen.
 */
export function unitsThatRan(before: UnitStamp[], after: UnitStamp[]): string[] {
  const was = new Map(before.map((s) => [s.id, s]));
  return after
    .filter((s) => !stopped(s.activeState) || (was.has(s.id) && was.get(s.id)!.activeEnter !== s.activeEnter))
    .map((s) => `${s.id} (${s.activeState})`);
}
