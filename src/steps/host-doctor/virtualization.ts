import type { Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { parseCpuinfo } from "../../kvm/cpuinfo.js";
import type { DoctorOptions } from "../../plan/options/host-doctor.js";
import type { VirtualizationFacts } from "./doctor-facts.js";
import { doctorFinding } from "./doctor-findings.js";
import { virtualizationLines } from "./doctor-lines.js";
import { kvmCheckNote, kvmSmokeTest } from "./kvm-smoke.js";

/** Can this host run KVM guests at all: CPU flags, /dev/kvm, and a real guest CPU started under KVM. */
export const virtualizationStep = defineStep<DoctorOptions, null>({
  id: "virtualization",
  title: "Hardware virtualization and /dev/kvm",
  destructive: false,
  async probe(ctx) {
    const host = ctx.host("local");
    const cpu = parseCpuinfo(await host.readFile("/proc/cpuinfo"));
    const kvm = await kvmSmokeTest(host, ctx.signal);
    const findings: Finding[] = [];
    const flagText = cpu.flag
      ? `the CPU has ${cpu.flag} (${cpu.flag === "vmx" ? "Intel VT-x" : "AMD-V"})`
      : "neither vmx nor svm is in /proc/cpuinfo";
    if (kvm.result !== "ok") {
      findings.push(
        doctorFinding(
          "kvm-cannot-run-guests",
          `${flagText}; ${kvm.detail}`,
          cpu.flag
            ? "load kvm_intel / kvm_amd (modprobe) and check the BIOS setting"
            : cpu.underHypervisor
              ? "this host is itself a VM: enable nested virtualization on the hypervisor below it"
              : "enable VT-x / AMD-V in the BIOS",
        ),
      );
    } else if (!cpu.flag) {
      findings.push(
        doctorFinding(
          "kvm-without-cpu-flags",
          `${flagText}, yet a guest ran under KVM (a nested or paravirtual KVM): expect lower performance`,
        ),
      );
    }
    const facts: VirtualizationFacts = {
      cpus: cpu.cpus,
      model: cpu.model,
      flag: cpu.flag,
      underHypervisor: cpu.underHypervisor,
      kvm: kvm.result,
      kvmDetail: kvm.detail,
      kvmCheck: kvmCheckNote(kvm),
    };
    return { satisfied: true, reason: "checked", plan: null, findings, facts, details: virtualizationLines(facts) };
  },
  commands: () => [],
  async run() {},
  async verify() {
    return verifyResult([]);
  },
});
