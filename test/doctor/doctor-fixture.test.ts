import { describe, expect, it } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import { buildHostDoctor } from "../../src/pipelines/host-doctor/pipeline.js";
import type { DoctorOptions } from "../../src/plan/options/host-doctor.js";
import { buildDoctorReport, renderDoctorReport } from "../../src/steps/host-doctor/doctor-report.js";
import { runLocal } from "../image/run-local.js";

const FIXTURE = "fixtures/kvm/hosts/kvm-host";
const base: DoctorOptions = { uri: "qemu:///system", bridge: "br0", enableKsm: false, openvz: null };

async function doctor(plan: Partial<DoctorOptions> = {}, mode: "dry-run" | "yes" = "dry-run") {
  const host = await loadScriptedHost(FIXTURE, "local");
  const run = await runLocal(buildHostDoctor(), { ...base, ...plan }, mode, { host });
  return { ...run, host };
}

describe("host doctor on a scripted KVM host (real cpuinfo, KSM, virsh output)", () => {
  it("finds VT-x, a working KVM, the bridge, and flags the domain on IDE + e1000", async () => {
    const { outcome, host } = await doctor();
    expect(outcome.status).toBe("dry-run");
    expect(outcome.probes.virtualization?.facts).toMatchObject({ flag: "vmx", kvm: "ok", underHypervisor: false });
    expect(outcome.findings.filter((f) => f.blocks)).toEqual([]);
    const titles = outcome.findings.map((f) => `${f.title}: ${f.summary}`);
    expect(titles.some((t) => t.startsWith("Disk not on virtio: legacy: hda"))).toBe(true);
    expect(titles.some((t) => t.startsWith("NIC not virtio: legacy") && t.includes("e1000"))).toBe(true);
    expect(titles.some((t) => t.includes("web1"))).toBe(false);
    expect(outcome.probes.libvirt?.facts?.bridgePresent).toBe(true);
    expect(host.mutations).toEqual([]);
  });

  it("names the KVM check it ran: a test VM booted, and for how long (found by a new-user trial)", async () => {
    const { outcome } = await doctor();
    expect(renderDoctorReport(buildDoctorReport(outcome.probes, outcome.findings))).toMatch(
      /\n {2}KVM check: booted a test VM \(the host's kernel under qemu-system-x86_64 -accel kvm, 128 MiB, no disk or network\) for \d+\.\d s: KVM works\n/,
    );
  });

  it("reports KSM running and the memory it saves now (pages_sharing × page size)", async () => {
    const { outcome } = await doctor();
    // ksm-running fixture: pages_shared 17, pages_sharing 48.
    expect(outcome.probes.ksm?.facts).toMatchObject({
      run: 1,
      pagesShared: 17,
      pagesSharing: 48,
      savedBytes: 48 * 4096,
    });
    expect(outcome.findings.some((f) => f.title === "KSM is off")).toBe(false);
  });

  it("sums the defined VMs' memory against host RAM", async () => {
    const { outcome } = await doctor();
    const facts = outcome.probes.memory?.facts as { hostBytes: number; vmBytes: number; overcommitPercent: number };
    expect(facts.vmBytes).toBe(4 * 1024 ** 3 + 8 * 1024 ** 3); // web1 4 GiB + legacy 8 GiB from dumpxml
    expect(facts.hostBytes).toBe(24684096 * 1024); // MemTotal in the meminfo fixture
    expect(outcome.findings.some((f) => f.title === "Memory overcommitted")).toBe(false);
    // It counts libvirt's guests, and says so: a QEMU started by hand is not among them (found by a new-user trial).
    expect(renderDoctorReport(buildDoctorReport(outcome.probes, outcome.findings))).toContain(
      "\n  memory: host 23.5 GiB, libvirt guests 12.0 GiB, 51 % of it promised, no overcommit; a QEMU started outside libvirt is not counted\n",
    );
  });

  it("warns above 10 % overcommit when a planned VM is added", async () => {
    const { outcome } = await doctor({ openvz: { confPath: "/etc/vz/conf/102.conf", vmMemoryBytes: 16 * 1024 ** 3 } });
    const f = outcome.findings.find((x) => x.title === "Memory overcommitted");
    expect(f?.summary).toMatch(
      /^libvirt's defined guests plus the planned VM are promised 28\.0 GiB on a host with 23\.5 GiB \(19 % over/,
    );
  });

  it("OpenVZ VSwap container: a VM below the 1 GiB RAM blocks, one between RAM and RAM+swap is the overselling trap", async () => {
    const small = await doctor({ openvz: { confPath: "/etc/vz/conf/102.conf", vmMemoryBytes: 512 * 1024 ** 2 } });
    expect(small.outcome.status).toBe("blocked");
    expect(small.outcome.findings.find((f) => f.blocks)?.title).toBe("VM smaller than the container's guarantee");
    const mid = await doctor({ openvz: { confPath: "/etc/vz/conf/102.conf", vmMemoryBytes: 2 * 1024 ** 3 } });
    expect(mid.outcome.status).toBe("dry-run");
    const trap = mid.outcome.findings.find((f) => f.title === "The overselling trap");
    expect(trap?.summary).toMatch(/guaranteed 1\.0 GiB but could burst to 3\.0 GiB/);
    const big = await doctor({ openvz: { confPath: "/etc/vz/conf/102.conf", vmMemoryBytes: 3 * 1024 ** 3 } });
    expect(big.outcome.findings.some((f) => f.title === "The overselling trap")).toBe(false);
  });

  it("OpenVZ UBC container: guarantee from VMGUARPAGES, burst from the PRIVVMPAGES limit", async () => {
    const { outcome } = await doctor({ openvz: { confPath: "/etc/vz/conf/101.conf", vmMemoryBytes: 200 * 1024 ** 2 } });
    expect(outcome.probes.memory?.facts?.container).toMatchObject({
      model: "ubc",
      guaranteedBytes: 33792 * 4096,
      burstBytes: 69632 * 4096,
    });
    expect(outcome.findings.some((f) => f.title === "The overselling trap")).toBe(true);
  });

  it("--enable-ksm is a gate that writes 1 to /sys/kernel/mm/ksm/run, and is satisfied when KSM already runs", async () => {
    const host = await loadScriptedHost(FIXTURE, "local");
    host.putFile("/sys/kernel/mm/ksm/run", "0\n");
    host.on(
      "echo 1 > /sys/kernel/mm/ksm/run",
      (_c, h) => {
        h.putFile("/sys/kernel/mm/ksm/run", "1\n");
        return {};
      },
      { mutates: true },
    );
    const dry = await runLocal(buildHostDoctor(), { ...base, enableKsm: true }, "dry-run", { host });
    expect(dry.outcome.probes["enable-ksm"]?.commands.map((c) => c.command)).toEqual([
      "echo 1 > /sys/kernel/mm/ksm/run",
    ]);
    expect(host.mutations).toEqual([]);
    const { outcome, events } = await runLocal(buildHostDoctor(), { ...base, enableKsm: true }, "yes", { host });
    expect(outcome.status).toBe("done");
    expect(events.some((e) => e.type === "prompt" && e.stepId === "enable-ksm")).toBe(true);
    expect(host.mutations.map((m) => (m.kind === "exec" ? m.command : m.kind))).toEqual([
      "echo 1 > /sys/kernel/mm/ksm/run",
    ]);
    const again = await runLocal(buildHostDoctor(), { ...base, enableKsm: true }, "yes", { host });
    expect(again.outcome.probes["enable-ksm"]?.satisfied).toBe(true);
  });

  it("a host without vmx whose KVM cannot run a guest is blocked with the reason", async () => {
    const host = await loadScriptedHost(FIXTURE, "local");
    const { readFile } = await import("node:fs/promises");
    host.putFile("/proc/cpuinfo", await readFile("fixtures/kvm/this-host/proc/cpuinfo", "utf8"));
    host.on(/^timeout --foreground --kill-after=5 60 qemu-system-x86_64 -accel kvm /, {
      code: 134,
      stderr: "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n",
    });
    const { outcome } = await runLocal(buildHostDoctor(), base, "dry-run", { host });
    expect(outcome.status).toBe("blocked");
    const b = outcome.findings.find((f) => f.blocks);
    expect(b?.summary).toMatch(/neither vmx nor svm.*failed to set MSR/);
    expect(b?.remediation).toMatch(/nested virtualization/);
  });
});
