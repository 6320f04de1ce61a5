import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, type PlannedCommand } from "../../engine/step.js";
import { distroOf, kernelRelease, requireFamily, UNAME_COMMAND } from "../host/probes.js";
import { type OvzContext, type OvzPlan } from "./plan.js";
import { runLogged } from "./run-logged.js";
import { OVZ_FACTS } from "./facts.js";
import type { FactValue } from "../../engine/facts.js";

const INSTALL_TIMEOUT_MS = 60 * 60_000;

async function owner(ctx: OvzContext, path: string): Promise<string | null> {
  const target = ctx.host("target");
  const distro = await distroOf(target);
  if (!distro.family) return null;
  const r = await target.exec(distro.family.ownerQuery(path), { signal: ctx.signal });
  return distro.family.parseOwner(r.code, r.stdout);
}

/** What kernel-install runs: chosen by the probe from the running kernel and the copied package database. */
export interface KernelPlan {
  kernelRelease: string;
  ownerQuery: string;
  dbRepair: string[];
  refresh: string[];
  packages: string[];
  install: string;
}

/** Step 7: the copy brought the container's package database, which owns no kernel: install exactly the running one. */
export const kernelInstall = defineStep<OvzPlan, KernelPlan | null>({
  id: "kernel-install",
  title: "Reinstall the running kernel's package",
  destructive: false,
  changesWithoutAsking: "installs a package on the target, whose scripts rebuild the initramfs and boot entries",

  async probe(ctx) {
    const target = ctx.host("target");
    // Asked with the release files, not after them: the owner query below waits for both (on the lab's VM this
    // chain was the last to finish in a dry run).
    const running = kernelRelease(target, ctx.signal);
    running.catch(() => undefined); // not awaited when the family is unknown
    const distro = await requireFamily(target, "target", "no package manager is known");
    if ("blocker" in distro) return { satisfied: false, plan: null, findings: [distro.blocker] };
    const family = distro.family;
    const release = await running;
    const vmlinuz = `/boot/vmlinuz-${release}`;
    const findings: Finding[] = [];
    const details: string[] = [`running kernel ${release}`];
    const plan: KernelPlan = {
      kernelRelease: release,
      ownerQuery: family.ownerQuery(vmlinuz),
      dbRepair: family.packageDbRepair,
      refresh: family.refreshCommands,
      packages: [family.kernelPackage(release)],
      install: "",
    };
    // Its owner is asked with its stat (one round trip, not two, on a host that batches commands; it is the
    // last read of a dry run on the lab's VM); a missing file's owner query is not used.
    const ownerAnswer = target
      .exec(family.ownerQuery(vmlinuz), { signal: ctx.signal })
      .then((r) => family.parseOwner(r.code, r.stdout));
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    // Before the capture, the boot packages are read here, with them too.
    const bootPackagesRead: Promise<string[]> = identity?.bootPackages
      ? Promise.resolve(identity.bootPackages)
      : target.exec(family.bootPackagesQuery, { signal: ctx.signal }).then((r) => family.parseBootPackages(r.stdout));
    // awaited below unless the file is missing
    for (const later of [ownerAnswer, bootPackagesRead]) later.catch(() => undefined);
    if (!(await target.stat(vmlinuz))) {
      findings.push(
        blocker(
          "Kernel file missing",
          `the target runs kernel ${release} but has no ${vmlinuz}: the package manager cannot reinstall what it never had, and the VM could not boot it again`,
          `install ${family.kernelPackage(release)} on the target (or boot it into a kernel it has), then check again`,
          "target",
        ),
      );
      return {
        satisfied: false,
        plan: { ...plan, dbRepair: [], refresh: [] },
        findings,
        details,
        facts: { targetKernelRelease: release },
      };
    }
    const copied = ctx.facts.get(OVZ_FACTS.syncPasses) !== undefined;
    const owning = await ownerAnswer;
    details.push(
      owning
        ? `${vmlinuz} is owned by ${owning}${copied ? "" : " now; the copy replaces the package database with the container's, which owns no kernel"}`
        : `${vmlinuz} is owned by no package`,
    );
    if (identity && identity.kernelRelease !== release)
      findings.push(
        warning("Kernel changed", `captured kernel ${identity.kernelRelease}, running ${release}`, undefined, "target"),
      );
    if (copied && owning)
      return {
        satisfied: true,
        reason: `${vmlinuz} is owned by ${owning}`,
        plan: { ...plan, dbRepair: [], refresh: [] },
        findings,
        details,
        facts: { targetKernelRelease: release, targetKernelOwner: owning },
      };
    const bootPackages = await bootPackagesRead;
    if (copied && bootPackages.length > 0) {
      const installed = family.parseInstalled(
        (await target.exec(family.installedQuery(bootPackages), { signal: ctx.signal })).stdout,
      );
      plan.packages.push(...bootPackages.filter((p) => !installed.includes(p)));
    } else if (bootPackages.length > 0)
      details.push(`boot packages reinstalled if the copied database lacks them: ${bootPackages.join(", ")}`);
    else details.push("the target has no bootloader, initramfs or udev package recorded: none to reinstall");
    plan.install = family.install(distro.release, plan.packages);
    details.push(
      `the package repositories must be reachable from the target; this runs the kernel's install scripts (minutes under emulation)`,
    );
    return {
      satisfied: false,
      plan,
      findings,
      details,
      facts: { targetKernelRelease: release, targetKernelOwner: owning ?? "none", packages: plan.packages },
    };
  },

  commands(plan) {
    if (!plan) return [];
    const commands: PlannedCommand[] = [
      { host: "target", command: UNAME_COMMAND, purpose: "the running kernel" },
      { host: "target", command: plan.ownerQuery, purpose: "which package owns it" },
    ];
    for (const c of plan.dbRepair)
      commands.push({
        host: "target",
        command: c,
        purpose: "remove stale Berkeley DB files of the copied rpm database",
      });
    for (const c of plan.refresh)
      commands.push({ host: "target", command: c, purpose: "refresh the package lists the copy brought" });
    if (plan.install)
      commands.push({
        host: "target",
        command: plan.install,
        purpose:
          "install exactly the running kernel (and the boot packages the copied database lacks); its scripts rebuild the initramfs and boot entries",
      });
    return commands;
  },

  async run(ctx, plan) {
    if (!plan?.install) throw new Error("no kernel package was planned (see the probe's findings)");
    const running = await kernelRelease(ctx.host("target"), ctx.signal);
    if (running !== plan.kernelRelease)
      throw new Error(
        `the target runs kernel ${running}, the plan was made for ${plan.kernelRelease}: run again to plan anew`,
      );
    for (const c of plan.dbRepair) await runLogged(ctx, "target", c);
    for (const c of plan.refresh) await runLogged(ctx, "target", c, { timeoutMs: INSTALL_TIMEOUT_MS });
    await runLogged(ctx, "target", plan.install, { timeoutMs: INSTALL_TIMEOUT_MS });
    const owning = await owner(ctx, `/boot/vmlinuz-${plan.kernelRelease}`);
    const fact: FactValue<typeof OVZ_FACTS.kernelInstall> = {
      at: new Date().toISOString(),
      kernelRelease: plan.kernelRelease,
      installed: plan.packages,
      owner: owning ?? "",
    };
    await ctx.facts.set(OVZ_FACTS.kernelInstall, fact);
  },
  async verify(ctx) {
    const target = ctx.host("target");
    const distro = await distroOf(target);
    const release = await kernelRelease(target, ctx.signal);
    const owning = await owner(ctx, `/boot/vmlinuz-${release}`);
    const initramfs = distro.family ? distro.family.initramfsPath(release) : "";
    const hasInitramfs = initramfs !== "" && (await target.stat(initramfs)) !== null;
    return verifyResult([
      { name: `the package database owns /boot/vmlinuz-${release}`, ok: !!owning, detail: owning ?? "no owner" },
      { name: "the initramfs exists", ok: hasInitramfs, detail: initramfs },
    ]);
  },
});
