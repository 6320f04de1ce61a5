import { warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { kernelRelease, requireFamily } from "../host/probes.js";
import { installedSomeCommand, parseInstalledList, readInstalledPackages } from "../packages/installed-packages.js";
import { packageToolFor } from "../packages/package-tool.js";
import { planRestore, type RestorePlan } from "../packages/restore-plan.js";
import { kernelInstall } from "./kernel-install.js";
import { runLogged } from "./run-logged.js";
import { OVZ_FACTS } from "./facts.js";
import type { OvzContext, OvzPlan } from "./plan.js";

const INSTALL_TIMEOUT_MS = 60 * 60_000;

/** Why the restore cannot be planned yet: the last copy and the kernel install decide what is missing. */
function notReadyYet(ctx: OvzContext): string | undefined {
  const wait = "planned once the final pass and the kernel install are done: they decide what is missing";
  const finalAt = ctx.facts.get(OVZ_FACTS.finalSyncAt);
  if (!finalAt) return wait;
  const installed = ctx.facts.get(OVZ_FACTS.kernelInstall);
  if (ctx.probedPlan(kernelInstall)?.install && !(installed && installed.at >= finalAt)) return wait;
  return undefined;
}

function describe(plan: RestorePlan): string[] {
  return [
    ...(plan.packages.length > 0
      ? [
          `installed again: ${plan.packages.map((p) => (p.version ? `${p.name} ${p.version}` : `${p.name} (candidate)`)).join(", ")}`,
        ]
      : []),
    ...plan.report,
    ...(plan.leftToOthers.length > 0
      ? [`left to kernel-install (its boot packages): ${plan.leftToOthers.join(", ")}`]
      : []),
  ];
}

/**
 * Step 8: the copy's --delete took the VM's own packages (DHCP client, kernel metapackage, guest agent,
 * cloud-init...) with the package database: install each again at the version the VM had where the
 * repositories still offer it, except what would hurt the container's software, reported with why.
 *
 * Ownership with kernel-install, which runs first: kernel-install owns the running kernel's package and
 * the boot packages (bootloader, initramfs builder, udev, kmod, storage stack) because its install scripts
 * need them; this step owns every other package the VM had, and leaves those names alone even when they
 * are missing, so the two never install one package at two versions.
 */
export const restoreVmPackages = defineStep<OvzPlan, RestorePlan | null>({
  id: "restore-vm-packages",
  title: "Reinstall the VM's packages the copy removed",
  destructive: false,
  changesWithoutAsking: "installs packages on the target",

  async probe(ctx) {
    const wait = notReadyYet(ctx);
    if (wait) return { satisfied: false, plan: null, findings: [], details: [wait] };
    const target = ctx.host("target");
    const distro = await requireFamily(target, "target", "its packages cannot be put back");
    if ("blocker" in distro) return { satisfied: false, plan: null, findings: [distro.blocker] };
    const vm = ctx.facts.get(OVZ_FACTS.targetPackages);
    if (!vm) {
      const missing = warning(
        "VM package list not recorded",
        "this migration's capture ran before mudanza recorded the VM's packages: what the copy removed cannot be told, and nothing is reinstalled",
        "compare `dpkg -l` / `rpm -qa` with a fresh install of the same image and install what the VM needs (DHCP client, kernel metapackage)",
        "target",
      );
      return { satisfied: true, reason: "the VM's package list was not recorded", plan: null, findings: [missing] };
    }
    const family = distro.family;
    const release = await kernelRelease(target, ctx.signal);
    const ownedByKernelInstall = new Set([
      family.kernelPackage(release),
      ...(ctx.facts.get(OVZ_FACTS.targetIdentity)?.bootPackages ?? []),
    ]);
    const plan = await planRestore({
      host: target,
      tool: packageToolFor(family, distro.release),
      vm,
      now: await readInstalledPackages(target, family.family, ctx.signal),
      ownedElsewhere: ownedByKernelInstall,
      signal: ctx.signal,
    });
    const findings: Finding[] = plan.exceptions.map((e) =>
      warning(
        `Package not reinstalled: ${e.name}`,
        `the VM had ${e.name}; ${e.reason}`,
        `if the VM needs it, install it by hand after the migration and settle the conflict`,
        "target",
      ),
    );
    if (plan.unexplained)
      findings.push(
        warning(
          "Package restore may fail",
          `the package manager's dry run of the whole set failed, though each package alone installs: ${plan.unexplained}`,
          undefined,
          "target",
        ),
      );
    const facts = { restorePackages: plan.packages.map((p) => p.name), restoreExceptions: plan.exceptions };
    if (!plan.install)
      return {
        satisfied: true,
        reason:
          plan.exceptions.length > 0
            ? `nothing to reinstall: every package the copy removed is an exception`
            : "every package the VM had is installed",
        plan,
        findings,
        details: describe(plan),
        facts,
      };
    return { satisfied: false, plan, findings, details: describe(plan), facts };
  },

  commands(plan) {
    if (!plan?.install) return [];
    return [
      {
        host: "target",
        command: plan.install,
        purpose: `put back the ${plan.packages.length} package(s) of the VM the copy removed, at the VM's versions where offered`,
      },
    ];
  },

  async run(ctx, plan) {
    if (!plan) throw new Error("the package restore ran before the copy and the kernel install (see its probe)");
    if (plan.install) await runLogged(ctx, "target", plan.install, { timeoutMs: INSTALL_TIMEOUT_MS });
    await ctx.facts.set(OVZ_FACTS.restoredPackages, {
      at: new Date().toISOString(),
      restored: plan.packages,
      exceptions: plan.exceptions,
      report: plan.report,
    });
    ctx.output(
      "target",
      `reinstalled ${plan.packages.length} package(s) of the VM; ${plan.exceptions.length} left out (see the warnings)`,
    );
  },

  async verify(ctx) {
    const restored = ctx.facts.get(OVZ_FACTS.restoredPackages);
    if (!restored || restored.restored.length === 0)
      return verifyResult([{ name: "no package of the VM needed reinstalling", ok: true }]);
    const target = ctx.host("target");
    const distro = await requireFamily(target, "target", "its packages cannot be checked");
    if ("blocker" in distro)
      return verifyResult([{ name: "target distribution known", ok: false, detail: distro.blocker.summary }]);
    const names = restored.restored.map((p) => p.name);
    const result = await target.exec(installedSomeCommand(distro.family.family, names), { signal: ctx.signal });
    const now = new Map(parseInstalledList(distro.family.family, result.stdout).map((p) => [p.name, p.version]));
    const missing = restored.restored.filter((p) => !now.has(p.name)).map((p) => p.name);
    const otherVersion = restored.restored
      .filter((p) => p.version !== null && now.has(p.name) && now.get(p.name) !== p.version)
      .map((p) => `${p.name} ${now.get(p.name)} (planned ${p.version})`);
    return verifyResult([
      {
        name: `the ${names.length} reinstalled package(s) are installed`,
        ok: missing.length === 0,
        detail: missing.length > 0 ? `missing: ${missing.join(", ")}` : names.join(", "),
      },
      {
        name: "each at the version planned",
        ok: otherVersion.length === 0,
        detail: otherVersion.length > 0 ? otherVersion.join(", ") : undefined,
      },
    ]);
  },
});
