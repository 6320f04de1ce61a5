import { blocker } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { readOptional } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import {
  accessCommands,
  ensureMigrationAccess,
  KEY_COMMENT,
  AUTHORIZED_KEYS,
  type AccessEndpoint,
} from "../ssh-access/migration-key.js";
import { distroOf, kernelRelease, requireFamily, selinuxEnforcing } from "../host/probes.js";
import { readHostKeys } from "../ssh-access/host-keys.js";
import { readNetworkFile, readNetworkFiles, type NetworkFile } from "../network/network-files.js";
import { holdsSecret, keepAsideCommand, protectSecrets } from "../network/network-secrets.js";
import { targetFromSource, type OvzContext, type OvzPlan } from "./plan.js";
import { NETWORK_UNITS, showUnits } from "../services/units.js";
import { OVZ_FACTS, type TargetIdentity, type VmBeforeCopy } from "./facts.js";
import { describeVmBeforeCopy, readVmBeforeCopy } from "./before-copy.js";
import { readInstalledPackages } from "../packages/installed-packages.js";
import type { InstalledPackage } from "../packages/reinstall-plan.js";

export const BOOT_LIST_COMMAND = cmd("ls", "-1A", "/boot");

/** Declared with its shape in facts.ts; re-exported for the steps that read it. */
export type { TargetIdentity } from "./facts.js";

/** fstab for the journal: a CIFS/SMB mount may carry password=... in its options; that value stays on the target. */
export function redactFstab(text: string | null): string | null {
  return text === null ? null : text.replace(/(^|[\s,])(password|pass|passwd)=[^,\s]*/gim, "$1$2=(not recorded)");
}

async function gather(ctx: OvzContext): Promise<CapturePlan["identity"]> {
  const target = ctx.host("target");
  const distro = await distroOf(target);
  if (!distro.family) throw new Error("unknown distribution on the target");
  const family = distro.family;
  const capturedAt = new Date().toISOString();
  // asked together: a host that takes several commands at once answers them in one round trip
  const [boot, packages, units, resolvConf, enforce, authorized, release, network, fstab, hostKeys] = await Promise.all(
    [
      target.exec(BOOT_LIST_COMMAND, { signal: ctx.signal }),
      target.exec(family.bootPackagesQuery, { signal: ctx.signal }),
      showUnits(target, NETWORK_UNITS, ctx.signal),
      readNetworkFile(target, "/etc/resolv.conf"),
      selinuxEnforcing(target, ctx.signal),
      readOptional(target, AUTHORIZED_KEYS).then((text) => text ?? ""),
      kernelRelease(target, ctx.signal),
      readNetworkFiles(target, family, ctx.signal),
      readOptional(target, "/etc/fstab"),
      readHostKeys(target),
    ],
  );
  return {
    capturedAt,
    kernelRelease: release,
    network,
    networkUnits: units.filter((u) => u.loaded && u.unitFileState === "enabled").map((u) => u.id),
    fstab: redactFstab(fstab),
    resolvConf,
    bootFiles: boot.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
    bootPackages: family.parseBootPackages(packages.stdout),
    hostKeyFingerprints: hostKeys.map((k) => k.fingerprint),
    authorizedKeys: authorized
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#") && !l.endsWith(KEY_COMMENT)),
    selinuxEnforcing: enforce,
  };
}

/** What capture-target applies: the identity its probe read (secret contents only in memory) and the push's endpoint. */
export interface CapturePlan {
  identity: Omit<TargetIdentity, "network"> & { network: NetworkFile[] };
  access: AccessEndpoint;
  /** What reboot-verify expects back after the reboot. */
  before: VmBeforeCopy;
  /** The VM's installed packages: restore-vm-packages puts back those the copy removes. */
  packages: InstalledPackage[];
}

/** Step 3: save the target's identity in the journal before anything overwrites it; set up the migration key. */
export const captureTarget = defineStep<OvzPlan, CapturePlan | null>({
  id: "capture-target",
  title: "Save the target's network, disks, boot files and host keys",
  destructive: false,
  changesWithoutAsking:
    "makes the migration key and its known_hosts on the source and authorizes the key for root on both hosts",

  async probe(ctx) {
    const existing = ctx.facts.get(OVZ_FACTS.targetIdentity);
    const target = ctx.host("target");
    const distro = await requireFamily(target, "target", "where it keeps its network config is not known");
    if ("blocker" in distro) return { satisfied: false, plan: null, findings: [distro.blocker] };
    if (existing)
      return {
        satisfied: true,
        reason: `captured at ${existing.capturedAt}; never captured twice (the target may already hold the source's files)`,
        plan: null,
        findings: [],
      };
    // What the run saves is what this read: the gate and a dry run show it.
    const [preview, before, packages] = await Promise.all([
      gather(ctx),
      readVmBeforeCopy(target, ctx.signal),
      readInstalledPackages(target, distro.family.family, ctx.signal),
    ]);
    const details = [
      `network files: ${preview.network.map((f) => `${f.path}${holdsSecret(f) ? " (holds a secret: kept on the target, not in the journal)" : ""}`).join(", ") || "none"}`,
      `network services enabled: ${preview.networkUnits.join(", ") || "none"}`,
      `kernel ${preview.kernelRelease}; /boot holds ${preview.bootFiles.length} entries; boot packages (bootloader, initramfs, udev, kmod): ${preview.bootPackages.join(", ") || "none (direct kernel boot?)"}`,
      `fstab: ${preview.fstab ? `${preview.fstab.split("\n").filter((l) => l.trim() && !l.startsWith("#")).length} entries` : "none"}; resolv.conf: ${preview.resolvConf?.link ? `link to ${preview.resolvConf.content}` : preview.resolvConf ? "a file" : "absent"}`,
      `host keys: ${preview.hostKeyFingerprints.join(", ")}`,
      `SELinux enforcing: ${preview.selinuxEnforcing ? "yes (a relabel is scheduled after the copy)" : "no"}`,
      `${preview.authorizedKeys.length} key(s) in root's authorized_keys stay: the copy never replaces that file, it only gains the source's keys`,
      describeVmBeforeCopy(before),
      `${packages.length} installed packages recorded: those the copy removes are installed again after the kernel`,
    ];
    const findings =
      preview.hostKeyFingerprints.length === 0
        ? [blocker("No host keys", "the target has no readable /etc/ssh/ssh_host_*_key.pub", undefined, "target")]
        : [];
    return {
      satisfied: false,
      findings,
      details,
      facts: {
        targetKernelRelease: preview.kernelRelease,
        targetNetworkFiles: preview.network.map((f) => f.path),
        targetNetworkUnits: preview.networkUnits,
        targetBootFiles: preview.bootFiles,
        targetBootPackages: preview.bootPackages,
        targetHostKeys: preview.hostKeyFingerprints,
        targetSelinuxEnforcing: preview.selinuxEnforcing,
      },
      plan: { identity: preview, access: targetFromSource(ctx.plan), before, packages },
    };
  },

  commands(plan) {
    if (!plan) return [];
    return [
      ...plan.identity.network.filter(holdsSecret).map((f) => ({
        host: "target",
        command: keepAsideCommand(f),
        purpose: `${f.path} holds a secret: kept on the target, only its place goes to the journal`,
      })),
      ...accessCommands(plan.access),
    ];
  },

  async run(ctx, plan) {
    if (!plan) return;
    const identity: TargetIdentity = {
      ...plan.identity,
      network: await protectSecrets(ctx.host("target"), plan.identity.network, ctx.signal),
    };
    await ctx.facts.set(OVZ_FACTS.targetIdentity, identity);
    await ctx.facts.set(OVZ_FACTS.targetHostKeyFingerprints, identity.hostKeyFingerprints);
    await ctx.facts.set(OVZ_FACTS.vmBeforeCopy, plan.before);
    await ctx.facts.set(OVZ_FACTS.targetPackages, plan.packages);
    ctx.output(
      "target",
      `saved ${identity.network.length} network file(s), fstab, ${identity.bootFiles.length} boot entries, ${identity.hostKeyFingerprints.length} host key fingerprint(s)`,
    );
    await ensureMigrationAccess(ctx);
  },
  async verify(ctx) {
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    return verifyResult([
      {
        name: "target identity in the journal",
        ok: !!identity,
        detail: identity ? `captured at ${identity.capturedAt}` : "missing",
      },
      { name: "target kernel release recorded", ok: !!identity?.kernelRelease, detail: identity?.kernelRelease },
      {
        name: "target host key fingerprints recorded",
        ok: (identity?.hostKeyFingerprints.length ?? 0) > 0,
        detail: identity?.hostKeyFingerprints.join(", "),
      },
    ]);
  },
});
