import type { Host } from "../../hosts/host.js";
import { tableKey } from "../databases/mysql-rows.js";
import { rowCounterFor } from "../databases/row-counter.js";
import { activeServices, failedUnits } from "../services/unit-lists.js";
import { unitListOrWhy } from "./before-copy.js";
import type { SourceAtFreeze } from "./facts.js";

type RowCounts = Pick<SourceAtFreeze, "rowCounts" | "notCounted">;

/**
 * Exact row counts of every table of the source's MariaDB/MySQL and PostgreSQL (each server its client
 * reaches by default), read while they still run. Rows written after the count and before the stop
 * reach the VM too, so the VM must hold at least these.
 */
export async function countDatabaseRows(host: Host, units: string[], signal?: AbortSignal): Promise<RowCounts> {
  const out: RowCounts = { rowCounts: [], notCounted: [] };
  const engines = new Set<string>();
  for (const unit of units) {
    const counter = rowCounterFor(unit);
    if (!counter) {
      out.notCounted.push({ unit, why: "rows are counted for MariaDB/MySQL and PostgreSQL only" });
      continue;
    }
    if (engines.has(counter.engine)) {
      out.notCounted.push({ unit, why: `the ${counter.engine} server it belongs to is counted already` });
      continue;
    }
    engines.add(counter.engine);
    try {
      const tables = await counter.list(host, signal);
      const counts = await counter.count(host, tables, signal);
      out.rowCounts.push({
        unit,
        tables: tables.map((t) => {
          const rows = counts.get(tableKey(t));
          if (rows === undefined) throw new Error(`no count came back for ${tableKey(t)}`);
          return { ...t, rows };
        }),
      });
    } catch (e) {
      out.notCounted.push({
        unit,
        why: `the client could not count (${e instanceof Error ? e.message : String(e)}): ${counter.engine === "mysql" ? "root logs in by unix socket or /root/.my.cnf" : "psql runs as the postgres user (peer authentication)"}`,
      });
    }
  }
  return out;
}

/** The source just before the freeze: failed units, active services, row counts (db-freeze). */
export async function readSourceAtFreeze(
  host: Host,
  databases: string[],
  signal?: AbortSignal,
): Promise<SourceAtFreeze> {
  return {
    at: new Date().toISOString(),
    failedUnits: await unitListOrWhy(() => failedUnits(host, signal)),
    activeServices: await unitListOrWhy(() => activeServices(host, signal)),
    ...(await countDatabaseRows(host, databases, signal)),
  };
}

/** One line for the step's output. */
export function describeSourceAtFreeze(at: SourceAtFreeze): string {
  const list = (l: SourceAtFreeze["failedUnits"]): string =>
    "units" in l ? `${l.units.length}` : `not readable (${l.unreadable})`;
  const tables = at.rowCounts.flatMap((c) => c.tables);
  const rows = tables.reduce((sum, t) => sum + t.rows, 0);
  return [
    `before the stop: ${list(at.activeServices)} active services, ${list(at.failedUnits)} failed units`,
    `${rows} rows in ${tables.length} tables counted`,
    ...at.notCounted.map((n) => `${n.unit} not counted: ${n.why}`),
  ].join("; ");
}
