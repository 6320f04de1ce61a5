import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import { buildDoctorReport, renderDoctorReport } from "../../src/steps/host-doctor/doctor-report.js";
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
    const text = renderDoctorReport(buildDoctorReport(outcome.probes, outcome.findings));
    const memory = text.split("\n").find((l) => l.startsWith("  memory: "));
    expect(memory).toMatch(
      /^ {2}memory: host 23\.5 GiB, libvirt guests not counted \(libvirt at qemu:\/\/\/session did not answer: .*\), so no overcommit figure; a QEMU started outside libvirt is not counted$/,
    );
    expect(text).not.toContain("unknown");
    expect(text).not.toContain("-100 %");
    expect(outcome.findings.some((f) => f.title === "Memory overcommitted")).toBe(false);
  });

  it("still warns when the planned VM alone is more than the host's RAM (found by a new-user trial: --vm-memory 64G on 23.5 GiB said nothing)", async () => {
    const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
    const doctor = (vmMemoryBytes: number) =>
      runLocal(
        buildHostDoctor(),
        {
          uri: "qemu:///session",
          bridge: null,
          enableKsm: false,
          openvz: { confPath: "/etc/vz/conf/102.conf", vmMemoryBytes },
        },
        "dry-run",
        { host },
      );
    const big = await doctor(64 * 1024 ** 3);
    const warned = big.outcome.findings.find((f) => f.title === "Memory overcommitted");
    expect(warned?.summary).toMatch(
      /^the planned VM alone is promised 64(\.0)? GiB on a host with 23\.5 GiB \(\d+ % over at least: libvirt's guests could not be counted/,
    );
    const fits = await doctor(8 * 1024 ** 3);
    expect(fits.outcome.findings.some((f) => f.title === "Memory overcommitted")).toBe(false);
  });

  it("never prints the password of a --connect URI: user:***@ stands for user:password@ (new-user trial 8)", async () => {
    const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
    const { outcome } = await runLocal(
      buildHostDoctor(),
      { uri: "qemu+ssh://root:hunter2@127.0.0.1/system", bridge: null, enableKsm: false, openvz: null },
      "dry-run",
      { host },
    );
    const text = renderDoctorReport(buildDoctorReport(outcome.probes, outcome.findings));
    expect(text).toContain("libvirt at qemu+ssh://root:***@127.0.0.1/system did not answer");
    expect(JSON.stringify(outcome)).not.toContain("hunter2");
    expect(text).not.toContain("hunter2");
  });
});
