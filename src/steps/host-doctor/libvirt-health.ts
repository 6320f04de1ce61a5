import type { Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import type { Host } from "../../hosts/host.js";
import type { DoctorOptions } from "../../plan/options/host-doctor.js";
import type { LibvirtFacts } from "./doctor-facts.js";
import { doctorFinding } from "./doctor-findings.js";
import { libvirtLines } from "./doctor-lines.js";
import { readDomainsToReport } from "./domains-view.js";
import { libvirtFix } from "./libvirt-fix.js";

/** A bridge has a bridge/ folder in sysfs; any other interface has only its own. */
async function bridgeStateOf(host: Host, name: string): Promise<"present" | "not-a-bridge" | "missing"> {
  if ((await host.stat(`/sys/class/net/${name}/bridge`)) !== null) return "present";
  return (await host.stat(`/sys/class/net/${name}`)) !== null ? "not-a-bridge" : "missing";
}

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
        doctorFinding("libvirt-not-available", view.why ?? "virsh failed", await libvirtFix(host, ctx.plan.uri, view)),
      );
    for (const d of view.domains ?? []) {
      for (const disk of d.disks.filter((x) => x.device === "disk" && x.bus !== "virtio")) {
        findings.push(
          doctorFinding(
            "disk-not-virtio",
            `${d.name}: ${disk.target ?? "?"} (${disk.source ?? "no source"}) uses bus ${disk.bus ?? "?"}`,
            `switch it to <target bus='virtio'/> (the guest needs virtio_blk in its initramfs first)`,
          ),
        );
      }
      for (const nic of d.nics.filter((n) => n.model !== "virtio")) {
        findings.push(
          doctorFinding(
            "nic-not-virtio",
            `${d.name}: ${nic.type} interface on ${nic.source ?? "?"} uses model ${nic.model ?? "default (rtl8139)"}`,
            "set <model type='virtio'/>",
          ),
        );
      }
    }
    const bridgeState = ctx.plan.bridge ? await bridgeStateOf(host, ctx.plan.bridge) : null;
    if (bridgeState === "missing")
      findings.push(
        doctorFinding(
          "bridge-missing",
          `no bridge ${ctx.plan.bridge} on this host (/sys/class/net/${ctx.plan.bridge}/bridge)`,
          `create ${ctx.plan.bridge} or pass --bridge NAME`,
        ),
      );
    // An interface that exists is no name to create (new-user trial 10: `--bridge lo` was told "create lo").
    if (bridgeState === "not-a-bridge")
      findings.push(
        doctorFinding(
          "not-a-bridge",
          `${ctx.plan.bridge} exists on this host but is not a bridge (/sys/class/net/${ctx.plan.bridge} has no bridge/): VMs' NICs cannot be attached to it`,
          `pass the bridge the VMs use with --bridge NAME (ip -br link show type bridge lists them), or --no-bridge; to put ${ctx.plan.bridge}'s network behind a bridge, make one (ip link add br0 type bridge) and enslave ${ctx.plan.bridge} to it (ip link set ${ctx.plan.bridge} master br0), moving its addresses to br0`,
        ),
      );
    const facts: LibvirtFacts = {
      libvirt: view.domains ? "reachable" : (view.why ?? "virsh failed"),
      bridge: ctx.plan.bridge,
      bridgePresent: bridgeState === null ? null : bridgeState === "present",
      bridgeState,
      domains: (view.domains ?? []).map((d) => ({
        name: d.name,
        state: d.state,
        memoryBytes: d.memoryBytes,
        disks: d.disks.map((x) => x.bus),
        nics: d.nics.map((n) => n.model),
      })),
    };
    return { satisfied: true, reason: "checked", plan: null, findings, facts, details: libvirtLines(facts) };
  },
  commands: () => [],
  async run() {},
  async verify() {
    return verifyResult([]);
  },
});
