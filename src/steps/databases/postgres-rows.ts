import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { tableKey, type TableRef } from "./mysql-rows.js";

const TABLES_PER_QUERY = 100;
const COUNT_TIMEOUT_MS = 30 * 60_000;

export const LIST_DATABASES_SQL =
  "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname";
export const LIST_PG_TABLES_SQL =
  "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename";

/**
 * psql as the postgres system user (peer authentication over the local socket): no password exists to
 * leak. Unaligned, tuples only, tab-separated, ~/.psqlrc ignored.
 */
export const psqlCommand = (database: string, sql: string): string =>
  cmd("runuser", "-u", "postgres", "--", "psql", "-X", "-A", "-t", "-F", "\t", "-d", database, "-c", sql);

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Tables are "schema.table" within their database. */
export function pgCountSql(tables: TableRef[]): string {
  return tables
    .map((t, i) => {
      const dot = t.table.indexOf(".");
      return `SELECT ${i}, COUNT(*) FROM ${ident(t.table.slice(0, dot))}.${ident(t.table.slice(dot + 1))}`;
    })
    .join(" UNION ALL ");
}

async function psql(host: Host, database: string, sql: string, signal?: AbortSignal): Promise<string[]> {
  const r = await host.exec(psqlCommand(database, sql), { signal, timeoutMs: COUNT_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(r.stderr.trim().split("\n")[0] || `psql exited ${r.code}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** Every user table of every database that accepts connections (schema-qualified). */
export async function listPgTables(host: Host, signal?: AbortSignal): Promise<TableRef[]> {
  const tables: TableRef[] = [];
  for (const database of await psql(host, "postgres", LIST_DATABASES_SQL, signal))
    for (const line of await psql(host, database, LIST_PG_TABLES_SQL, signal)) {
      const [schema, table] = line.split("\t");
      if (schema && table) tables.push({ database, table: `${schema}.${table}` });
    }
  return tables;
}

/** Exact row counts (COUNT(*), not pg_class.reltuples' estimate). */
export async function countPgRows(host: Host, tables: TableRef[], signal?: AbortSignal): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const database of [...new Set(tables.map((t) => t.database))]) {
    const inDb = tables.filter((t) => t.database === database);
    for (let i = 0; i < inDb.length; i += TABLES_PER_QUERY) {
      const chunk = inDb.slice(i, i + TABLES_PER_QUERY);
      for (const line of await psql(host, database, pgCountSql(chunk), signal)) {
        const m = /^(\d+)\t(\d+)$/.exec(line.trim());
        const table = m ? chunk[Number(m[1])] : undefined;
        if (m && table) counts.set(tableKey(table), Number(m[2]));
      }
    }
  }
  return counts;
}

/** Debian's umbrella postgresql.service, its postgresql@VERSION-CLUSTER units, PGDG's postgresql-NN. */
export const isPostgresUnit = (unit: string): boolean => /^postgresql(@[^.]*|-\d+)?\.service$/.test(unit);
