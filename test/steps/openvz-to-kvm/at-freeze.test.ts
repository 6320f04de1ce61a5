import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { countDatabaseRows } from "../../../src/steps/openvz-to-kvm/at-freeze.js";

describe("row counts at the freeze", () => {
  it("counts MariaDB's and PostgreSQL's tables and says why redis is not counted", async () => {
    const host = new ScriptedHost("source");
    host.on(/^mariadb -N -B -e 'SELECT TABLE_SCHEMA/, { stdout: "lab\tacks\n" });
    host.on(/^mariadb -N -B -e 'SELECT 0, COUNT/, { stdout: "0\t1250\n" });
    // psql -X -A -t -F TAB: unaligned, tuples only, tab between columns
    host.on(/^runuser -u postgres -- psql -X -A -t -F '\t' -d postgres -c 'SELECT datname/, {
      stdout: "postgres\nshop\n",
    });
    host.on(/^runuser -u postgres -- psql .* -d postgres -c 'SELECT schemaname/, { stdout: "" });
    host.on(/^runuser -u postgres -- psql .* -d shop -c 'SELECT schemaname/, {
      stdout: "public\torders\nsales\tinvoices\n",
    });
    host.on(
      /^runuser -u postgres -- psql .* -d shop -c 'SELECT 0, COUNT\(\*\) FROM "public"\."orders" UNION ALL SELECT 1, COUNT\(\*\) FROM "sales"\."invoices"'$/,
      {
        stdout: "0\t42\n1\t7\n",
      },
    );
    expect(
      await countDatabaseRows(host, [
        "mariadb.service",
        "postgresql.service",
        "postgresql@15-main.service",
        "redis-server.service",
      ]),
    ).toEqual({
      rowCounts: [
        { unit: "mariadb.service", tables: [{ database: "lab", table: "acks", rows: 1250 }] },
        {
          unit: "postgresql.service",
          tables: [
            { database: "shop", table: "public.orders", rows: 42 },
            { database: "shop", table: "sales.invoices", rows: 7 },
          ],
        },
      ],
      notCounted: [
        { unit: "postgresql@15-main.service", why: "the postgresql server it belongs to is counted already" },
        { unit: "redis-server.service", why: "rows are counted for MariaDB/MySQL and PostgreSQL only" },
      ],
    });
    for (const e of host.log) if (e.kind === "exec") expect(e.command).not.toMatch(/password|PGPASSWORD| -p /i);
  });

  it("a client that cannot log in leaves the database not counted, with the client's error, and never fails the freeze", async () => {
    const host = new ScriptedHost("source");
    host.on(/^mariadb /, {
      code: 1,
      stderr: "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: NO)\n",
    });
    const counted = await countDatabaseRows(host, ["mariadb.service"]);
    expect(counted.rowCounts).toEqual([]);
    expect(counted.notCounted[0]?.why).toMatch(
      /^the client could not count \(ERROR 1045 .*\): root logs in by unix socket or \/root\/\.my\.cnf$/,
    );
  });
});
