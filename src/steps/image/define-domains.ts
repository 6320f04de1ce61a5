import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, writeFileCommand, type VerifyCheck } from "../../engine/step.js";
import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { buildDomainXml, parseDomainXml } from "../../kvm/domain-xml.js";
import { cloneTargets, type CloneOptions, type CloneTarget } from "../../plan/options/image-clone.js";
import { exitedWith } from "../../hosts/failure-text.js";

const xmlPath = (t: CloneTarget): string => t.path.replace(/\.qcow2$/, ".xml");

export function cloneDomainXml(plan: CloneOptions, t: CloneTarget): string {
  return buildDomainXml({
    name: t.name,
    memoryBytes: plan.memoryBytes,
    vcpus: plan.vcpus,
    diskPath: t.path,
    bridge: plan.bridge,
  });
}

async function definedDisk(
  host: Host,
  uri: string,
  name: string,
  signal: AbortSignal,
): Promise<string | null | undefined> {
  const res = await host.exec(cmd("virsh", "-c", uri, "dumpxml", name), { signal });
  if (res.code !== 0) return undefined; // not defined
  return parseDomainXml(res.stdout).disks.find((d) => d.device === "disk")?.source ?? null;
}

/** `--define`: one libvirt domain per clone, virtio disk and a virtio NIC on the named bridge. */
export interface DomainsPlan {
  uri: string;
  bridge: string;
  /** Each clone still to define, with the domain XML written beside its overlay. */
  todo: Array<{ target: CloneTarget; xml: string }>;
}

const defineCommand = (uri: string, t: CloneTarget): string => cmd("virsh", "-c", uri, "define", xmlPath(t));

export const defineDomainsStep = defineStep<CloneOptions, DomainsPlan>({
  id: "define-domains",
  title: "Define the clones as libvirt domains",
  destructive: false,
  skip: (ctx) => (ctx.plan.define ? undefined : "not asked (--define defines libvirt domains)"),
  async probe(ctx) {
    const host = ctx.host("local");
    const { uri, bridge } = ctx.plan;
    const findings: Finding[] = [];
    const plan: DomainsPlan = { uri, bridge, todo: [] };
    if ((await host.exec("command -v virsh", { signal: ctx.signal })).code !== 0) {
      return {
        satisfied: false,
        plan,
        findings: [
          blocker(
            "virsh not found",
            "--define needs libvirt's virsh on this host",
            "apt-get install libvirt-clients libvirt-daemon-system (or run without --define: the overlays work with plain QEMU)",
          ),
        ],
      };
    }
    const ping = await host.exec(cmd("virsh", "-c", uri, "uri"), { signal: ctx.signal, timeoutMs: 30_000 });
    if (ping.code !== 0) {
      return {
        satisfied: false,
        plan,
        findings: [
          blocker(
            "libvirt not reachable",
            `virsh -c ${uri} failed: ${(ping.stderr || ping.stdout).trim().split("\n")[0]}`,
            "start libvirtd (systemctl start libvirtd) or pass --connect URI",
          ),
        ],
      };
    }
    if (uri.startsWith("qemu:///") && !(await host.stat(`/sys/class/net/${bridge}/bridge`))) {
      findings.push(
        warning(
          "Bridge not found",
          `${bridge} is not a bridge on this host: the domains are defined but will not start until it exists`,
          `create it (e.g. in /etc/network/interfaces: iface ${bridge} inet manual, bridge_ports eth0) or pass --bridge`,
        ),
      );
    }
    for (const t of cloneTargets(ctx.plan)) {
      const disk = await definedDisk(host, uri, t.name, ctx.signal);
      if (disk === undefined) plan.todo.push({ target: t, xml: cloneDomainXml(ctx.plan, t) });
      else if (disk !== t.path)
        findings.push(
          blocker(
            "Domain name taken",
            `libvirt already has a domain "${t.name}" with disk ${disk ?? "none"}`,
            "choose another --name or undefine it",
          ),
        );
    }
    return {
      satisfied: plan.todo.length === 0 && !findings.some((f) => f.blocks),
      reason: plan.todo.length === 0 ? "every clone is already defined with its overlay" : undefined,
      plan,
      findings,
    };
  },
  commands: (plan) =>
    plan.todo.flatMap(({ target: t }) => [
      {
        host: "local",
        command: writeFileCommand(xmlPath(t)),
        purpose: "domain XML: virtio disk, virtio NIC on " + plan.bridge,
      },
      { host: "local", command: defineCommand(plan.uri, t) },
    ]),
  async run(ctx, plan) {
    const host = ctx.host("local");
    for (const { target: t, xml } of plan.todo) {
      await host.writeFile(xmlPath(t), xml, { mode: 0o644 });
      await ctx.compensations.register({
        id: `domain-${t.name}`,
        title: `undefine domain ${t.name}`,
        host: "local",
        command: cmd("virsh", "-c", plan.uri, "undefine", t.name),
      });
      const res = await host.exec(defineCommand(plan.uri, t), { signal: ctx.signal });
      if (res.code !== 0) throw new Error(`virsh define ${xmlPath(t)} failed: ${(res.stderr || res.stdout).trim()}`);
      ctx.output("local", res.stdout.trim() || `defined ${t.name}`);
    }
    await ctx.compensations.clear(...plan.todo.map(({ target: t }) => `domain-${t.name}`));
  },
  async verify(ctx) {
    const host = ctx.host("local");
    const checks: VerifyCheck[] = [];
    for (const t of cloneTargets(ctx.plan)) {
      const res = await host.exec(cmd("virsh", "-c", ctx.plan.uri, "dumpxml", t.name), { signal: ctx.signal });
      if (res.code !== 0) {
        checks.push({ name: `${t.name} is defined`, ok: false, detail: `virsh dumpxml ${exitedWith(res)}` });
        continue;
      }
      const d = parseDomainXml(res.stdout);
      const disk = d.disks.find((x) => x.device === "disk");
      checks.push({
        name: `${t.name} boots from its overlay on virtio`,
        ok: disk?.source === t.path && disk.bus === "virtio",
        detail: `${disk?.source} (${disk?.bus})`,
      });
      checks.push({
        name: `${t.name} has a virtio NIC on ${ctx.plan.bridge}`,
        ok: d.nics.some((n) => n.model === "virtio" && n.source === ctx.plan.bridge),
      });
    }
    return verifyResult(checks);
  },
});
