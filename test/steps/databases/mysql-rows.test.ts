import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { countRows, countSql, listTables, parseCounts } from "../../../src/steps/databases/mysql-rows.js";

describe("MariaDB/MySQL row counts", () => {
  it("quotes table names as identifiers and reads the counts back by index", () => {
    const tables = [
      { database: "shop", table: "order`s" },
      { database: "lab", table: "acks" },
    ];
    expect(countSql(tables)).toBe(
      "SELECT 0, COUNT(*) FROM `shop`.`order``s` UNION ALL SELECT 1, COUNT(*) FROM `lab`.`acks`",
    );
    // mariadb -N -B prints tab-separated rows, no header
    expect(Object.fromEntries(parseCounts("1\t500\n0\t42\n", tables))).toEqual({ "shop.order`s": 42, "lab.acks": 500 });
  });

  it("falls back to the mysql client where there is no mariadb, and never puts a password on the command line", async () => {
    const host = new ScriptedHost("source");
    host.on(/^mariadb /, { code: 127, stderr: "sh: 1: mariadb: not found\n" });
    host.on(/^mysql -N -B -e 'SELECT TABLE_SCHEMA/, { stdout: "lab\tacks\n" });
    host.on(/^mysql -N -B -e 'SELECT 0, COUNT/, { stdout: "0\t500\n" });
    const tables = await listTables(host);
    expect([...(await countRows(host, tables))]).toEqual([["lab.acks", 500]]);
    for (const e of host.log) if (e.kind === "exec") expect(e.command).not.toMatch(/-p|--password|password=/);
  });

  it("fails with the client's own first error line", async () => {
    const host = new ScriptedHost("source");
    host.on(/^mariadb /, {
      code: 1,
      stderr: "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: NO)\n",
    });
    await expect(listTables(host)).rejects.toThrow(/^ERROR 1045 \(28000\): Access denied/);
    expect(host.log.filter((e) => e.kind === "exec")).toHaveLength(1);
  });
});
