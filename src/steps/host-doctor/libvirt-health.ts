import { warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import type { DoctorOptions } from "../../plan/options/host-doctor.js";
import { readDomainsToReport } from "./domains-view.js";
import { libvirtFix } from "./libvirt-fix.js";

/** libvirt answers, the bridge exists, and every domain uses virtio for disks and NICs (emulated IDE / e1000 are slow). */
export const libvirtStep = defineStep<DoctorOptions, null>({
  id: "libvirt",
  title: "libvirt, bridge and virtio devices",
  destructive: false,
  async probe(ctx) {
    const host = ctx.host("local");
    const findings: Finding[] = [];
    const view = await readDomainsToReport(host, ctx.plan.uri, ctx.signal);
    if (!view.domains)
      findings.push(
        warning("libvirt not available", view.why ?? "virsh failed", await libvirtFix(host, ctx.plan.uri, view)),
      );
    for (const d of view.domains ?? []) {
      for (const disk of d.disks.filter((x) => x.device === "disk" && x.bus !== "virtio")) {
        findings.push(
          warning(
            "Disk not on virtio",
            `${d.name}: ${disk.target ?? "?"} (${disk.source ?? "no source"}) uses bus ${disk.bus ?? "?"}`,
            `switch it to <target bus='virtio'/> (the guest needs virtio_blk in its initramfs first)`,
          ),
        );
      }
      for (const nic of d.nics.filter((n) => n.model !== "virtio")) {
        findings.push(
          warning(
            "NIC not virtio",
            `${d.name}: ${nic.type} interface on ${nic.source ?? "?"} uses model ${nic.model ?? "default (rtl8139)"}`,
            "set <model type='virtio'/>",
          ),
        );
      }
    }
    let bridgePresent: boolean | null = null;
    if (ctx.plan.bridge) {
      bridgePresent = (await host.stat(`/sys/class/net/${ctx.plan.bridge}/bridge`)) !== null;
      if (!bridgePresent)
        findings.push(
          warning(
            "Bridge missing",
            `no bridge ${ctx.plan.bridge} on this host (/sys/class/net/${ctx.plan.bridge}/bridge)`,
            `create ${ctx.plan.bridge} or pass --bridge NAME`,
          ),
        );
    }
    return {
      satisfied: true,
      reason: "checked",
      plan: null,
      findings,
      facts: {
        libvirt: view.domains ? "reachable" : view.why,
        bridge: ctx.plan.bridge,
        bridgePresent,
        domains: (view.domains ?? []).map((d) => ({
          name: d.name,
          state: d.state,
          memoryBytes: d.memoryBytes,
          disks: d.disks.map((x) => x.bus),
          nics: d.nics.map((n) => n.model),
        })),
      },
    };
  },
  commands: () => [],
  async run() {},
  async verify() {
    return verifyResult([]);
  },
});
