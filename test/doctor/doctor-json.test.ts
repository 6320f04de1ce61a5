import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import type { DoctorOptions } from "../../src/plan/options/host-doctor.js";
import {
  buildDoctorReport,
  doctorReportJsonSchema,
  renderDoctorReport,
} from "../../src/steps/host-doctor/doctor-report.js";
import { runLocal } from "../image/run-local.js";

// The scripted KVM host (real cpuinfo, meminfo, KSM, virsh output) and vzctl's VSwap sample (1 GiB + 2 GiB swap).
const PLAN: DoctorOptions = {
  uri: "qemu:///system",
  bridge: "br0",
  enableKsm: false,
  openvz: { confPath: "/etc/vz/conf/102.conf", vmMemoryBytes: 2 * 1024 ** 3 },
};

async function doctor(plan: DoctorOptions = PLAN) {
  const host = await loadScriptedHost("fixtures/kvm/hosts/kvm-host", "local");
  return runLocal(buildHostDoctor(), plan, "dry-run", { host });
}

describe("host doctor's JSON says what its text says (new-user trial 10, finding 3)", () => {
  it("--format json carries the figures: host memory, guests, overcommit, the container's guarantee and burst, vmx, KVM check, domains", async () => {
    const { outcome } = await doctor();
    const report = buildDoctorReport(outcome.probes, outcome.findings);
    expect(report).toMatchObject({
      version: 1,
      blocked: false,
      virtualization: { flag: "vmx", underHypervisor: false, kvm: "ok" },
      libvirt: { libvirt: "reachable", bridge: "br0", bridgeState: "present" },
      memory: {
        hostBytes: 24684096 * 1024,
        vmBytes: 12 * 1024 ** 3,
        plannedBytes: 2 * 1024 ** 3,
        container: { model: "vswap", guaranteedBytes: 1024 ** 3, burstBytes: 3 * 1024 ** 3 },
      },
      ksm: { run: 1, pagesShared: 17, pagesSharing: 48 },
    });
    expect(report.virtualization?.kvmCheck).toMatch(/^KVM check: booted a test VM/);
    expect(report.libvirt?.domains.map((d) => d.name)).toEqual(["web1", "legacy"]);
    expect(typeof report.memory?.overcommitPercent).toBe("number");
    expect(report.findings.map((f) => f.title)).toContain("The overselling trap");
  });

  it("every line of the text report is in the --json events (each check's step-probed details)", async () => {
    const { outcome, events } = await doctor();
    const text = renderDoctorReport(buildDoctorReport(outcome.probes, outcome.findings));
    const details = events.flatMap((e) => (e.type === "step-probed" ? (e.details ?? []) : []));
    const areaLines = text
      .split("\n")
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => !/^(BLOCKER|WARNING|INFO|ERROR|fix:)/.test(l));
    expect(areaLines.length).toBe(6); // virtualization, KVM check, libvirt, memory, container, KSM
    for (const line of areaLines) expect(details).toContain(line);
    expect(details.some((d) => d.startsWith("OpenVZ container (vswap): guaranteed 1.0 GiB, burst 3.0 GiB"))).toBe(true);
  });

  it("the document validates against the published schema (mudanza schema host-doctor), with libvirt down too", async () => {
    const validate = new Ajv({ allErrors: true }).compile(doctorReportJsonSchema());
    for (const plan of [PLAN, { ...PLAN, uri: "qemu:///session", bridge: null, openvz: null }]) {
      const { outcome } = await doctor(plan);
      const report = JSON.parse(JSON.stringify(buildDoctorReport(outcome.probes, outcome.findings))) as object;
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(validate({ version: 1, blocked: false })).toBe(false);
  });
});
