import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { renderDoctor } from "../../src/steps/host-doctor/render-doctor.js";
import { runLocal } from "../image/run-local.js";

describe("host doctor with libvirt down", () => {
  it("reports the VMs' memory and the overcommit as unknown, not as 0 B and -100 %", async () => {
    const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
    // The fixture answers only qemu:///system: any other URI does not answer, as a stopped libvirtd would not.
    const { outcome } = await runLocal(
      buildHostDoctor(),
      { uri: "qemu:///session", bridge: null, enableKsm: false, openvz: null },
      "dry-run",
      { host },
    );
    expect(outcome.probes.memory?.facts).toMatchObject({ vmBytes: null, overcommitPercent: null });
    const text = renderDoctor(outcome.probes, outcome.findings);
    expect(text).toMatch(/memory: host 23\.5 GiB, VMs unknown \(libvirt: libvirt at qemu:\/\/\/session did not answer/);
    expect(text).toContain("overcommit unknown");
    expect(text).not.toContain("-100 %");
    expect(outcome.findings.some((f) => f.title === "Memory overcommitted")).toBe(false);
  });
});
