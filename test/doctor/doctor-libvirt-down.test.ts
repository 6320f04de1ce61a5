import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { renderDoctor } from "../../src/steps/host-doctor/render-doctor.js";
import { runLocal } from "../image/run-local.js";

describe("host doctor with libvirt down", () => {
  it("says libvirt's guests were not counted and why, with no overcommit figure, not 0 B and -100 % (a new-user trial read 'VMs unknown' as every VM)", async () => {
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
    const memory = text.split("\n").find((l) => l.startsWith("  memory: "));
    expect(memory).toMatch(
      /^ {2}memory: host 23\.5 GiB, libvirt guests not counted \(libvirt at qemu:\/\/\/session did not answer: .*\), so no overcommit figure; a QEMU started outside libvirt is not counted$/,
    );
    expect(text).not.toContain("unknown");
    expect(text).not.toContain("-100 %");
    expect(outcome.findings.some((f) => f.title === "Memory overcommitted")).toBe(false);
  });
});
