import { formatBytes } from "../../render/format.js";
import type { KsmFacts, LibvirtFacts, MemoryFacts, VirtualizationFacts } from "./doctor-facts.js";

/**
 * Each check's facts in words: the doctor's text report prints these lines, and each probe gives them as its
 * `details`, so the --json events say what the text says.
 */

/** The memory line counts the guests libvirt defines: a QEMU started by hand or by another tool is not among them. */
const OUTSIDE_LIBVIRT = "a QEMU started outside libvirt is not counted";

export function virtualizationLines(v: VirtualizationFacts): string[] {
  return [
    `virtualization: ${v.flag ?? "no vmx/svm flag"}${v.underHypervisor ? " (this host is a VM)" : ""}; KVM ${v.kvm}: ${v.kvmDetail}`,
    v.kvmCheck,
  ];
}

const BRIDGE_WORDS = { present: "present", "not-a-bridge": "is not a bridge", missing: "missing" } as const;

export function libvirtLines(l: LibvirtFacts): string[] {
  const bridge = l.bridge && l.bridgeState ? `; bridge ${l.bridge} ${BRIDGE_WORDS[l.bridgeState]}` : "";
  return [`libvirt: ${l.libvirt}${l.libvirt === "reachable" ? `, ${l.domains.length} domain(s)` : ""}${bridge}`];
}

export function memoryLines(m: MemoryFacts): string[] {
  const host = `host ${formatBytes(m.hostBytes)}`;
  const planned = m.plannedBytes > 0 ? m.plannedBytes : undefined;
  // What it counts is libvirt's defined guests, said so (found by a new-user trial: "VMs unknown" read as
  // every VM, and a QEMU started by hand beside libvirt was not seen); without libvirt, why, not "unknown".
  const lines = [
    m.vmBytes === null || m.overcommitPercent === null
      ? `memory: ${host}, libvirt guests not counted (${m.libvirt}), so no overcommit figure${planned ? ` (planned VM ${formatBytes(planned)})` : ""}; ${OUTSIDE_LIBVIRT}`
      : `memory: ${host}, libvirt guests ${formatBytes(m.vmBytes)}${planned ? ` + planned ${formatBytes(planned)}` : ""}, ${overcommitText(m.overcommitPercent)}; ${OUTSIDE_LIBVIRT}`,
  ];
  const c = m.container;
  if (c)
    lines.push(
      `OpenVZ container (${c.model}): guaranteed ${formatBytes(c.guaranteedBytes)}, burst ${c.burstBytes === null ? "unlimited" : formatBytes(c.burstBytes)}`,
    );
  return lines;
}

export function ksmLines(k: KsmFacts): string[] {
  return [
    `KSM: ${k.run === 1 ? "running" : "stopped"}, ${k.pagesShared} pages shared, ${k.pagesSharing} sharing, ${formatBytes(k.savedBytes)} saved now`,
  ];
}

/** "overcommit 12 %" above the host's memory; below it, what share is promised (a review read "-49 %" as odd). */
function overcommitText(percent: number): string {
  return percent > 0
    ? `overcommit ${percent} %`
    : `${Math.round((100 + percent) * 10) / 10} % of it promised, no overcommit`;
}
