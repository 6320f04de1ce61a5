import { describe, expect, it } from "vitest";
import { showUnitsCommand } from "../../src/steps/services/units.js";
import { startCommand, stopCommand } from "../../src/steps/openvz-to-kvm/db-freeze.js";

/** Unit names come from the plan (options.databases, options.services): systemctl must never read one as an option. */
describe("unit names from a plan reach systemctl after --", () => {
  it.each([
    ["stop", stopCommand(["--root=/tmp", "mariadb.service"]), "systemctl stop -- --root=/tmp mariadb.service"],
    ["start", startCommand(["-H", "mariadb.service"]), "systemctl start -- -H mariadb.service"],
    [
      "show",
      showUnitsCommand(["--host=evil"]),
      "systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState -- --host=evil",
    ],
  ])("systemctl %s", (_verb, command, expected) => {
    expect(command).toBe(expected);
  });
});
