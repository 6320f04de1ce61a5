import type { Pipeline } from "../../engine/step.js";
import { enableKsmStep, ksmStatusStep } from "../../steps/host-doctor/ksm.js";
import { libvirtStep } from "../../steps/host-doctor/libvirt-health.js";
import { memoryStep } from "../../steps/host-doctor/memory.js";
import { virtualizationStep } from "../../steps/host-doctor/virtualization.js";
import type { DoctorOptions } from "../../plan/options/host-doctor.js";

export function buildHostDoctor(): Pipeline<DoctorOptions> {
  return {
    kind: "host-doctor",
    title: "KVM host doctor",
    steps: [virtualizationStep, libvirtStep, memoryStep, ksmStatusStep, enableKsmStep],
  };
}
