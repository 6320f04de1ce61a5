import type { Pipeline } from "../../engine/step.js";
import { enableKsmStep, ksmStatusStep } from "../../steps/doctor/ksm.js";
import { libvirtStep } from "../../steps/doctor/libvirt-health.js";
import { memoryStep } from "../../steps/doctor/memory.js";
import { virtualizationStep } from "../../steps/doctor/virtualization.js";
import type { DoctorOptions } from "./options.js";

export function buildHostDoctor(): Pipeline<DoctorOptions> {
  return { kind: "host-doctor", title: "KVM host doctor", steps: [virtualizationStep, libvirtStep, memoryStep, ksmStatusStep, enableKsmStep] };
}
