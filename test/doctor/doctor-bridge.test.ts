import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { buildDoctorReport, renderDoctorReport } from "../../src/steps/host-doctor/doctor-report.js";
import { runLocal } from "../image/run-local.js";

// The fixture's sysfs: br0 with bridge/, lo (copied from a real /sys/class/net/lo) without.
async function doctorWithBridge(bridge: string) {
  const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
  const { outcome } = await runLocal(
    buildHostDoctor(),
    { uri: "qemu:///system", bridge, enableKsm: false, openvz: null },
    "dry-run",
    { host },
  );
  return outcome;
}

describe("host doctor's bridge check (new-user trial 10, finding 7)", () => {
  it("an interface that exists but is not a bridge is said so, not 'create lo'", async () => {
    const outcome = await doctorWithBridge("lo");
    expect(outcome.findings.some((f) => f.title === "Bridge missing")).toBe(false);
    const f = outcome.findings.find((x) => x.title === "Not a bridge");
    expect(f?.summary).toMatch(/^lo exists on this host but is not a bridge \(\/sys\/class\/net\/lo has no bridge\/\)/);
    expect(f?.remediation).toMatch(/^pass the bridge the VMs use with --bridge NAME \(ip -br link show type bridge/);
    expect(f?.remediation).not.toMatch(/^create lo/);
    expect(renderDoctorReport(buildDoctorReport(outcome.probes, outcome.findings))).toContain(
      "; bridge lo is not a bridge\n",
    );
  });

  it("a name no interface has is still missing, and a bridge is present", async () => {
    const missing = await doctorWithBridge("br9");
    expect(missing.findings.find((f) => f.title === "Bridge missing")?.remediation).toBe(
      "create br9 or pass --bridge NAME",
    );
    const present = await doctorWithBridge("br0");
    expect(present.findings.some((f) => f.title === "Bridge missing" || f.title === "Not a bridge")).toBe(false);
    expect(present.probes.libvirt?.facts).toMatchObject({ bridgePresent: true, bridgeState: "present" });
  });
});
