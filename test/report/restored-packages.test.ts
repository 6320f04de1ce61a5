import { describe, expect, it } from "vitest";
import { restoredPackagesOf, restoredPackagesSection } from "../../src/report/restored-packages.js";

const fact = {
  at: "2026-12-01T22:00:00.000Z",
  restored: [
    { name: "isc-dhcp-client", version: "4.4.3-P1-2" },
    { name: "linux-image-amd64", version: null },
  ],
  exceptions: [{ name: "ntpsec", reason: "installing it would remove systemd-timesyncd, which the container runs" }],
  report: [
    "linux-image-amd64: the VM had 6.1.137-1, which no repository offers now; the candidate 6.1.192-3 is installed",
    "ntpsec: not reinstalled, installing it would remove systemd-timesyncd, which the container runs",
  ],
};

describe("the run report's section on the VM's packages", () => {
  it("lists what was reinstalled at which version, each exception with its reason, each candidate used instead", () => {
    expect(restoredPackagesSection(restoredPackagesOf({ restoredPackages: fact })!)).toEqual([
      "## Packages put back on the VM",
      "",
      "Reinstalled 2 package(s) of the VM that the copy removed: `isc-dhcp-client 4.4.3-P1-2`, `linux-image-amd64` (the repositories' candidate).",
      "",
      "- Not reinstalled: `ntpsec`: installing it would remove systemd-timesyncd, which the container runs",
      "- linux-image-amd64: the VM had 6.1.137-1, which no repository offers now; the candidate 6.1.192-3 is installed",
      "",
    ]);
  });

  it("a journal without the fact (or another pipeline's) has no such section", () => {
    expect(restoredPackagesOf({})).toBeUndefined();
    expect(restoredPackagesOf({ restoredPackages: { at: 1 } })).toBeUndefined();
  });
});
