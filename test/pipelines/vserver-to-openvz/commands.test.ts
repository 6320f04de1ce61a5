import { describe, expect, it } from "vitest";
import { restartGuestCommand, stopContainerCommand } from "../../../src/steps/vserver-to-openvz/context.js";
import {
  guestProcessesCommand,
  guestStatusCommand,
  nodeConfiguredIpsCommand,
} from "../../../src/steps/vserver-to-openvz/inventory.js";

describe("commands built from plan values stay one word each", () => {
  it("quotes the config directory but keeps the glob", () => {
    expect(nodeConfiguredIpsCommand("/etc/vz")).toBe("grep -sH '^IP_ADDRESS=' /etc/vz/conf/*.conf; true");
    expect(nodeConfiguredIpsCommand("/srv/my vz;reboot")).toBe(
      "grep -sH '^IP_ADDRESS=' '/srv/my vz;reboot/conf'/*.conf; true",
    );
  });

  it("quotes guest names and makes compensations safe to run twice", () => {
    expect(guestStatusCommand("web.1")).toBe("vserver web.1 status");
    expect(guestProcessesCommand("web1")).toBe("vserver web1 exec ps -eo comm=");
    expect(restartGuestCommand("web1")).toBe("vserver web1 running || vserver web1 start");
    expect(stopContainerCommand(1001)).toBe("if vzctl status 1001 | grep -qw running; then vzctl stop 1001; fi");
  });
});
