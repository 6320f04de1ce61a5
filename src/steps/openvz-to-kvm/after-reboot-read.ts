import type { Host } from "../../hosts/host.js";
import { tableKey } from "../databases/mysql-rows.js";
import { rowCounterFor } from "../databases/row-counter.js";
import { resolveName } from "../network/name-resolution.js";
import type { SourceAtFreeze, VmBeforeCopy } from "./facts.js";
import type { VmRowCounts } from "./after-reboot-checks.js";

/** The addresses the name resolves to on the VM now; undefined when there is no name to ask. */
export async function resolveAgain(
  vm: Host,
  before: VmBeforeCopy | undefined,
  signal?: AbortSignal,
): Promise<string[] | undefined> {
  const name = before?.resolved.name;
  return name ? resolveName(vm, name, signal) : undefined;
}

/** The VM's row counts of the tables counted at the freeze (those it has), per database unit. */
export async function countRowsAgain(
  vm: Host,
  source: SourceAtFreeze | undefined,
  signal?: AbortSignal,
): Promise<Map<string, VmRowCounts>> {
  const seen = new Map<string, VmRowCounts>();
  for (const { unit, tables } of source?.rowCounts ?? []) {
    const counter = rowCounterFor(unit);
    if (!counter) continue;
    try {
      const present = new Set((await counter.list(vm, signal)).map(tableKey));
      const counts = await counter.count(
        vm,
        tables.filter((t) => present.has(tableKey(t))),
        signal,
      );
      seen.set(unit, { counts });
    } catch (e) {
      seen.set(unit, { error: e instanceof Error ? e.message : String(e) });
    }
  }
  return seen;
}
