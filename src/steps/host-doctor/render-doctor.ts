import type { Finding } from "../../engine/finding.js";
import type { ProbeResult } from "../../engine/step.js";
import { formatBytes } from "../../render/format.js";

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** The memory line counts the guests libvirt defines: a QEMU started by hand or by another tool is not among them. */
const OUTSIDE_LIBVIRT = "a QEMU started outside libvirt is not counted";

/** The doctor's closing summary: one line per area, then every finding with its fix. */
export function renderDoctor(probes: Record<string, ProbeResult>, findings: Finding[]): string {
  const lines: string[] = ["KVM host doctor"];
  const v = probes.virtualization?.facts;
  if (v)
    lines.push(
      `  virtualization: ${v.flag ?? "no vmx/svm flag"}${v.underHypervisor ? " (this host is a VM)" : ""}; KVM ${v.kvm}: ${v.kvmDetail}`,
      ...(typeof v.kvmCheck === "string" ? [`  ${v.kvmCheck}`] : []),
    );
  const l = probes.libvirt?.facts;
  if (l) {
    const domains = Array.isArray(l.domains) ? l.domains.length : 0;
    lines.push(
      `  libvirt: ${l.libvirt}${l.libvirt === "reachable" ? `, ${domains} domain(s)` : ""}${l.bridge ? `; bridge ${l.bridge} ${l.bridgeState === "not-a-bridge" ? "is not a bridge" : l.bridgePresent ? "present" : "missing"}` : ""}`,
    );
  }
  const m = probes.memory?.facts;
  if (m) {
    const vmBytes = num(m.vmBytes);
    const overcommitPercent = num(m.overcommitPercent);
    const plannedBytes = num(m.plannedBytes);
    const host = `host ${formatBytes(num(m.hostBytes) ?? 0)}`;
    // What it counts is libvirt's defined guests, said so (found by a new-user trial: "VMs unknown" read as
    // every VM, and a QEMU started by hand beside libvirt was not seen); without libvirt, why, not "unknown".
    lines.push(
      vmBytes === undefined || overcommitPercent === undefined
        ? `  memory: ${host}, libvirt guests not counted (${String(m.libvirt)}), so no overcommit figure${plannedBytes ? ` (planned VM ${formatBytes(plannedBytes)})` : ""}; ${OUTSIDE_LIBVIRT}`
        : `  memory: ${host}, libvirt guests ${formatBytes(vmBytes)}${plannedBytes ? ` + planned ${formatBytes(plannedBytes)}` : ""}, ${overcommitText(overcommitPercent)}; ${OUTSIDE_LIBVIRT}`,
    );
    const c = m.container as { guaranteedBytes?: number; burstBytes?: number | null; model?: string } | undefined;
    if (c)
      lines.push(
        `  OpenVZ container (${c.model}): guaranteed ${formatBytes(c.guaranteedBytes ?? 0)}, burst ${c.burstBytes === null ? "unlimited" : formatBytes(c.burstBytes ?? 0)}`,
      );
  }
  const k = probes.ksm?.facts;
  if (k)
    lines.push(
      `  KSM: ${k.run === 1 ? "running" : "stopped"}, ${k.pagesShared} pages shared, ${k.pagesSharing} sharing, ${formatBytes(num(k.savedBytes) ?? 0)} saved now`,
    );
  if (findings.length === 0) lines.push("  no problems found");
  for (const f of findings)
    lines.push(
      `  ${f.blocks ? "BLOCKER" : f.severity.toUpperCase()}: ${f.title}: ${f.summary}${f.remediation ? `\n    fix: ${f.remediation}` : ""}`,
    );
  return lines.join("\n");
}

/** "overcommit 12 %" above the host's memory; below it, what share is promised (a review read "-49 %" as odd). */
function overcommitText(percent: number): string {
  return percent > 0
    ? `overcommit ${percent} %`
    : `${Math.round((100 + percent) * 10) / 10} % of it promised, no overcommit`;
}
