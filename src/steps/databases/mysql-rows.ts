import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";

/** Newer MariaDB names its client `mariadb`; older ones and MySQL only `mysql`. */
const CLIENTS = ["mariadb", "mysql"] as const;

/** Counts per query: a command line stays far below the kernel's 128 KiB limit for one argument. */
const TABLES_PER_QUERY = 100;

/** Exact counts scan every table: generous, since a big table takes minutes and this only waits. */
const COUNT_TIMEOUT_MS = 30 * 60_000;

export const LIST_TABLES_SQL =
  "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES" +
  " WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')" +
  " AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')" +
  " ORDER BY TABLE_SCHEMA, TABLE_NAME";

/**
 * The client's own option files (/root/.my.cnf, /etc/mysql/...) or unix-socket login authenticate it:
 * no password is ever on the command line, so none reaches the log, the journal or the report.
 */
export const mysqlCommand = (client: string, sql: string): string => cmd(client, "-N", "-B", "-e", sql);

export interface TableRef {
  database: string;
  table: string;
}

export const tableKey = (t: TableRef): string => `${t.database}.${t.table}`;

const ident = (name: string): string => `\`${name.replace(/`/g, "``")}\``;

/** One query counting every table of the chunk: "INDEX<TAB>COUNT" per table, so the order does not matter. */
export function countSql(tables: TableRef[]): string {
  return tables.map((t, i) => `SELECT ${i}, COUNT(*) FROM ${ident(t.database)}.${ident(t.table)}`).join(" UNION ALL ");
}

/** `mariadb -N -B` output of LIST_TABLES_SQL: "database<TAB>table" lines. */
export function parseTables(stdout: string): TableRef[] {
  return stdout
    .split("\n")
    .filter((l) => l.includes("\t"))
    .map((l) => {
      const [database, table] = l.split("\t");
      return { database: database!, table: table! };
    });
}

/** `mariadb -N -B` output of countSql: the row count of each table of the chunk, by index. */
export function parseCounts(stdout: string, tables: TableRef[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    const m = /^(\d+)\t(\d+)$/.exec(line.trim());
    const table = m ? tables[Number(m[1])] : undefined;
    if (m && table) counts.set(tableKey(table), Number(m[2]));
  }
  return counts;
}

/** Runs one query with whichever client the host has; throws with the client's first error line. */
export async function mysqlQuery(host: Host, sql: string, signal?: AbortSignal): Promise<string> {
  let last = "";
  for (const client of CLIENTS) {
    const r = await host.exec(mysqlCommand(client, sql), { signal, timeoutMs: COUNT_TIMEOUT_MS });
    if (r.code === 0) return r.stdout;
    last = r.stderr.trim().split("\n")[0] || `exit ${r.code}`;
    if (r.code !== 127) break;
  }
  throw new Error(last);
}

export async function listTables(host: Host, signal?: AbortSignal): Promise<TableRef[]> {
  return parseTables(await mysqlQuery(host, LIST_TABLES_SQL, signal));
}

/** Exact row counts (COUNT(*), not the statistics' estimate) of the given tables. */
export async function countRows(host: Host, tables: TableRef[], signal?: AbortSignal): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < tables.length; i += TABLES_PER_QUERY) {
    const chunk = tables.slice(i, i + TABLES_PER_QUERY);
    for (const [k, v] of parseCounts(await mysqlQuery(host, countSql(chunk), signal), chunk)) counts.set(k, v);
  }
  return counts;
}

export const isMysqlUnit = (unit: string): boolean => /^(mariadb|mysql|mysqld)(@[^.]*)?\.service$/.test(unit);
