import { describe, expect, it } from "vitest";
import { parseUnitList } from "../../../src/steps/services/unit-lists.js";
import { notExpectedOnVm } from "../../../src/steps/services/not-expected-on-vm.js";

describe("unit lists", () => {
  it("reads unit names from systemctl --plain --no-legend, with or without a status mark", () => {
    const plain =
      "cron.service               loaded active running Regular background program processing daemon\n" +
      "networking.service         loaded active exited  Raise network interfaces\n";
    // systemd 239 (EL8) still prints its mark before failed units when --plain is given
    const marked = "● kdump.service loaded failed failed Crash recovery kernel arming\n";
    expect(parseUnitList(plain)).toEqual(["cron.service", "networking.service"]);
    expect(parseUnitList(marked)).toEqual(["kdump.service"]);
    expect(parseUnitList("")).toEqual([]);
  });

  it("says why a container's own units are not expected on the VM, and expects the rest", () => {
    expect(notExpectedOnVm("console-getty.service")).toMatch(/only inside a container/);
    expect(notExpectedOnVm("container-getty@1.service")).toMatch(/container/);
    expect(notExpectedOnVm("user@0.service")).toMatch(/logged in/);
    expect(notExpectedOnVm("ifup@venet0.service")).toMatch(/venet/);
    expect(notExpectedOnVm("ssh.service")).toBeUndefined();
    expect(notExpectedOnVm("mariadb.service")).toBeUndefined();
  });
});
