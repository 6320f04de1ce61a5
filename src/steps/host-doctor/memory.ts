import type { Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { memTotalBytes } from "../../kvm/meminfo.js";
import { formatBytes } from "../../render/format.js";
import { containerMemory } from "../../openvz/container-memory.js";
import { OVERCOMMIT_WARN_RATIO, type DoctorOptions } from "../../plan/options/host-doctor.js";
import type { MemoryFacts } from "./doctor-facts.js";
import { doctorFinding } from "./doctor-findings.js";
import { memoryLines } from "./doctor-lines.js";
import { readDomainsToReport } from "./domains-view.js";

export interface OvercommitFigures {
  hostBytes: number;
  committedBytes: number;
  ratio: number;
}

export const overcommit = (hostBytes: number, committedBytes: number): OvercommitFigures => ({
  hostBytes,
  committedBytes,
  ratio: hostBytes > 0 ? committedBytes / hostBytes - 1 : Infinity,
});

/**
 * Memory promised to VMs against host RAM, and for a planned OpenVZ → KVM move the overselling trap:
 * a container lived on a guarantee plus burst that the host shared; a VM gets one fixed size.
 */
export const memoryStep = defineStep<DoctorOptions, null>({
  id: "memory",
  title: "Memory overcommit and the OpenVZ overselling trap",
  destructive: false,
  async probe(ctx) {
    const host = ctx.host("local");
    const findings: Finding[] = [];
    const hostBytes = memTotalBytes(await host.readFile("/proc/meminfo"));
    const view = await readDomainsToReport(host, ctx.plan.uri, ctx.signal);
    // libvirt unreachable: the VMs' memory is unknown, not zero (and so is the overcommit).
    const vmBytes = view.domains ? view.domains.reduce((sum, d) => sum + d.memoryBytes, 0) : null;
    const planned = ctx.plan.openvz?.vmMemoryBytes ?? 0;
    const figures = vmBytes === null ? null : overcommit(hostBytes, vmBytes + planned);
    if (figures && figures.ratio > OVERCOMMIT_WARN_RATIO) {
      findings.push(
        doctorFinding(
          "memory-overcommitted",
          `libvirt's defined guests${planned ? " plus the planned VM" : ""} are promised ${formatBytes(figures.committedBytes)} on a host with ${formatBytes(hostBytes)} (${Math.round(figures.ratio * 100)} % over; warning above ${OVERCOMMIT_WARN_RATIO * 100} %)`,
          "KSM and ballooning soften it, but a busy day ends in swapping or the OOM killer: shrink VMs or move some",
        ),
      );
    }
    // libvirt unreachable: the planned VM alone is still a lower bound (found by a new-user trial: 64 GiB on a
    // 23.5 GiB host said nothing).
    const plannedAlone = vmBytes === null && planned > 0 ? overcommit(hostBytes, planned) : null;
    if (plannedAlone && plannedAlone.ratio > OVERCOMMIT_WARN_RATIO) {
      findings.push(
        doctorFinding(
          "memory-overcommitted",
          `the planned VM alone is promised ${formatBytes(planned)} on a host with ${formatBytes(hostBytes)} (${Math.round(plannedAlone.ratio * 100)} % over at least: libvirt's guests could not be counted, ${view.why ?? "libvirt did not answer"}; warning above ${OVERCOMMIT_WARN_RATIO * 100} %)`,
          "give the VM less memory (--vm-memory), or plan it on a host with more RAM",
        ),
      );
    }
    let container: MemoryFacts["container"];
    if (ctx.plan.openvz) {
      const { confPath, vmMemoryBytes } = ctx.plan.openvz;
      const mem = containerMemory(await host.readFile(confPath), confPath);
      container = {
        confPath,
        model: mem.model,
        guaranteedBytes: mem.guaranteedBytes,
        burstBytes: mem.burstBytes,
        sources: mem.sources,
        vmMemoryBytes,
      };
      const burst = mem.burstBytes === null ? "unlimited" : formatBytes(mem.burstBytes);
      if (vmMemoryBytes < mem.guaranteedBytes) {
        findings.push(
          doctorFinding(
            "vm-smaller-than-guarantee",
            `${confPath} guarantees ${formatBytes(mem.guaranteedBytes)} (${mem.sources.join(", ")}); the planned VM has ${formatBytes(vmMemoryBytes)}`,
            `give the VM at least ${formatBytes(mem.guaranteedBytes)} (--vm-memory)`,
          ),
        );
      } else if (mem.burstBytes === null || vmMemoryBytes < mem.burstBytes) {
        findings.push(
          doctorFinding(
            "overselling-trap",
            `the container was guaranteed ${formatBytes(mem.guaranteedBytes)} but could burst to ${burst} on memory other containers left free; the VM gets a fixed ${formatBytes(vmMemoryBytes)}: what ran in burst memory will swap or be OOM-killed in the VM`,
            "look at the container's real peak (vzctl exec CTID free -m, or held/maxheld in /proc/user_beancounters) and size the VM for it, counting it in the host's total",
          ),
        );
      }
    }
    const facts: MemoryFacts = {
      hostBytes,
      vmBytes,
      plannedBytes: planned,
      overcommitPercent: figures ? Math.round(figures.ratio * 1000) / 10 : null,
      libvirt: view.domains ? "reachable" : (view.why ?? "virsh failed"),
      ...(container ? { container } : {}),
    };
    return { satisfied: true, reason: "checked", plan: null, findings, facts, details: memoryLines(facts) };
  },
  commands: () => [],
  async run() {},
  async verify() {
    return verifyResult([]);
  },
});
