import { describe, expect, it } from "vitest";
import { closestUnit, unitAsWritten } from "../../../src/steps/services/unit-suggestions.js";
import { unitName } from "../../../src/steps/services/units.js";

const SOURCE_UNITS = ["cron.service", "getty@.service", "mariadb.service", "mysql.service", "ssh.service"];

describe("a unit name the plan misspelt (new-user trial 9, finding 6)", () => {
  it("is named as written when it ends in a misspelt unit type, and as the unit looked for otherwise", () => {
    expect(unitAsWritten("mariadb.servce")).toBe("mariadb.servce");
    expect(unitAsWritten("mariadbb")).toBe("mariadbb.service");
    expect(unitAsWritten("ssh.socket")).toBe("ssh.socket");
    // a dotted name that is no unit type: systemctl reads it as a service
    expect(unitAsWritten("org.example.agent")).toBe("org.example.agent.service");
  });

  it("every systemd unit type is a whole unit name, as systemctl reads it", () => {
    expect(unitName("fstrim.timer")).toBe("fstrim.timer");
    expect(unitName("mariadb")).toBe("mariadb.service");
    expect(unitName("mariadb.servce")).toBe("mariadb.servce.service");
  });

  it("suggests the source's unit, written with or without its type; nothing when none is close", () => {
    expect(closestUnit("mariadbb", SOURCE_UNITS)).toBe("mariadb.service");
    expect(closestUnit("mariadb.servce", SOURCE_UNITS)).toBe("mariadb.service");
    expect(closestUnit("sshh", SOURCE_UNITS)).toBe("ssh.service");
    expect(closestUnit("postgresql", SOURCE_UNITS)).toBeUndefined();
    expect(closestUnit("sshh", [])).toBeUndefined();
  });
});
