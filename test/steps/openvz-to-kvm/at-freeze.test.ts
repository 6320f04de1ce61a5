import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import { countDatabaseRows } from "../../../src/steps/openvz-to-kvm/at-freeze.js";

describe("row counts at the freeze", () => {
  it("counts MariaDB's tables and says why PostgreSQL's are not counted", async () => {
    const host = new ScriptedHost("source");
    host.on(/^mariadb -N -B -e 'SELECT TABLE_SCHEMA/, { stdout: "lab\tacks\n" });
    host.on(/^mariadb -N -B -e 'SELECT 0, COUNT/, { stdout: "0\t1250\n" });
    expect(await countDatabaseRows(host, ["mariadb.service", "postgresql.service"])).toEqual({
      rowCounts: [{ unit: "mariadb.service", tables: [{ database: "lab", table: "acks", rows: 1250 }] }],
      notCounted: [{ unit: "postgresql.service", why: "rows are counted for MariaDB/MySQL only" }],
    });
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
