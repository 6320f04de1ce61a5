import type { Host } from "../../hosts/host.js";
import { countRows, isMysqlUnit, listTables, type TableRef } from "./mysql-rows.js";
import { countPgRows, isPostgresUnit, listPgTables } from "./postgres-rows.js";

/** How one database engine lists its tables and counts their rows exactly. */
export interface RowCounter {
  engine: "mysql" | "postgresql";
  list(host: Host, signal?: AbortSignal): Promise<TableRef[]>;
  count(host: Host, tables: TableRef[], signal?: AbortSignal): Promise<Map<string, number>>;
}

const MYSQL: RowCounter = { engine: "mysql", list: listTables, count: countRows };
const POSTGRES: RowCounter = { engine: "postgresql", list: listPgTables, count: countPgRows };

/** The counter for a database unit; undefined for engines whose rows are not counted (redis, mongod). */
export function rowCounterFor(unit: string): RowCounter | undefined {
  if (isMysqlUnit(unit)) return MYSQL;
  if (isPostgresUnit(unit)) return POSTGRES;
  return undefined;
}
