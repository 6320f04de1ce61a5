import { blocker, CANNOT_CHECK, warning, type Finding } from "../../engine/finding.js";
import { OVERCOMMIT_WARN_RATIO } from "../../plan/options/host-doctor.js";

interface DoctorFindingKind {
  title: string;
  blocks: boolean;
  /** When the doctor says it, in a few words: the README's table and the schema's list are made from these. */
  when: string;
}

/**
 * Every finding the host doctor can report, by a stable id a script can match instead of the English title
 * (new-user trial 12: a monitoring script had to match "KSM is off"). Titles and summaries may be reworded;
 * an id stays, and removing or renaming one raises DOCTOR_REPORT_VERSION. A finding said once per disk or NIC
 * carries the same id each time.
 */
export const DOCTOR_FINDINGS = {
  "kvm-cannot-run-guests": {
    title: "KVM cannot run guests here",
    blocks: true,
    when: "the test VM did not run under KVM to its known end (no vmx/svm, no kvm module, no nested virtualization)",
  },
  "kvm-without-cpu-flags": {
    title: "KVM works without vmx/svm flags",
    blocks: false,
    when: "the test VM ran under KVM though `/proc/cpuinfo` has neither vmx nor svm (nested or paravirtual KVM)",
  },
  "libvirt-not-available": {
    title: "libvirt not available",
    blocks: false,
    when: "virsh did not answer at the `--connect` URI",
  },
  "disk-not-virtio": {
    title: "Disk not on virtio",
    blocks: false,
    when: "a libvirt domain's disk uses an emulated bus (ide, sata, scsi…); one finding per disk",
  },
  "nic-not-virtio": {
    title: "NIC not virtio",
    blocks: false,
    when: "a libvirt domain's NIC uses an emulated model (e1000, rtl8139…); one finding per NIC",
  },
  "bridge-missing": {
    title: "Bridge missing",
    blocks: false,
    when: "no interface has the `--bridge` name",
  },
  "not-a-bridge": {
    title: "Not a bridge",
    blocks: false,
    when: "the `--bridge` name is an interface that is not a bridge",
  },
  "memory-overcommitted": {
    title: "Memory overcommitted",
    blocks: false,
    when: `libvirt's guests plus the planned VM (libvirt down: the planned VM alone) are promised more than ${OVERCOMMIT_WARN_RATIO * 100} % over host RAM`,
  },
  "vm-smaller-than-guarantee": {
    title: "VM smaller than the container's guarantee",
    blocks: true,
    when: "`--vm-memory` is below the OpenVZ container's guaranteed memory (`--openvz-conf`)",
  },
  "overselling-trap": {
    title: "The overselling trap",
    blocks: false,
    when: "`--vm-memory` is below what the OpenVZ container could burst to",
  },
  "ksm-off": {
    title: "KSM is off",
    blocks: false,
    when: "`/sys/kernel/mm/ksm/run` is not 1 (and `--enable-ksm` was not given)",
  },
  "ksm-not-available": {
    title: "KSM not available",
    blocks: false,
    when: "the kernel has no `/sys/kernel/mm/ksm` (built without CONFIG_KSM)",
  },
  [CANNOT_CHECK]: {
    title: "cannot check CHECK",
    blocks: true,
    when: "a check could not answer (a file it reads is missing, a command failed): its title names the check",
  },
} as const satisfies Record<string, DoctorFindingKind>;

export type DoctorFindingId = keyof typeof DOCTOR_FINDINGS;
export const DOCTOR_FINDING_IDS = Object.keys(DOCTOR_FINDINGS) as [DoctorFindingId, ...DoctorFindingId[]];

/** A doctor finding of a kind the catalogue lists: its id, title and whether it blocks come from there. */
export function doctorFinding(
  id: Exclude<DoctorFindingId, typeof CANNOT_CHECK>,
  summary: string,
  remediation?: string,
): Finding {
  const { title, blocks } = DOCTOR_FINDINGS[id];
  return { id, ...(blocks ? blocker(title, summary, remediation) : warning(title, summary, remediation)) };
}

/** The README's table of the ids (a test keeps the README's copy the same). */
export function doctorFindingsMarkdown(): string {
  const rows = Object.entries(DOCTOR_FINDINGS).map(
    ([id, kind]) => `| \`${id}\` | ${kind.blocks ? "yes (exit 3)" : "no"} | ${kind.title} | ${kind.when} |`,
  );
  return ["| id | blocks | title | when |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
