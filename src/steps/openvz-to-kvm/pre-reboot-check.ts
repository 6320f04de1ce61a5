import { applyAcknowledgements, type Finding } from "../../engine/finding.js";
import { defineStep, isFileWrite, verifyResult, writeFileCommand, type PlannedCommand } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import { kernelRelease, requireFamily } from "../host/probes.js";
import { backupCommand, stampedBackupDir } from "../host/backup.js";
import { checkBootReadiness, type ReadinessFix, type ReadinessInput } from "./boot-readiness.js";
import { kernelInstall } from "./kernel-install.js";
import { restoreVmPackages } from "./restore-vm-packages.js";
import { runLogged } from "./run-logged.js";
import { OVZ_FACTS } from "./facts.js";
import type { OvzContext, OvzPlan } from "./plan.js";

/** What the pre-reboot check applies: the repairs it may make itself, decided by its probe. */
export interface PreRebootPlan {
  kernelRelease: string;
  /** Where the files it rewrites are kept first. */
  backupDir: string;
  fixes: ReadinessFix[];
}

const ETC_HOSTS = "/etc/hosts";

/** Why the migrated tree cannot be judged yet, or undefined once the copy, the fixup and the kernel are in place. */
function notReadyYet(ctx: OvzContext): string | undefined {
  const wait =
    "checked once the final pass, network fixup, kernel install and package restore are done, just before the reboot";
  const finalAt = ctx.facts.get(OVZ_FACTS.finalSyncAt);
  if (!finalAt) return wait;
  const fixup = ctx.facts.get(OVZ_FACTS.networkFixup);
  if (!fixup || fixup.at < finalAt) return wait;
  const installed = ctx.facts.get(OVZ_FACTS.kernelInstall);
  if (ctx.probedPlan(kernelInstall)?.install && !(installed && installed.at >= finalAt)) return wait;
  // The restored packages bring the DHCP client and the kernel metapackage this check looks for.
  const restored = ctx.facts.get(OVZ_FACTS.restoredPackages);
  if (ctx.probedPlan(restoreVmPackages)?.install && !(restored && restored.at >= finalAt)) return wait;
  return undefined;
}

async function readinessInput(ctx: OvzContext): Promise<ReadinessInput | { blocker: Finding }> {
  const target = ctx.host("target");
  const distro = await requireFamily(target, "target", "its boot cannot be checked");
  if ("blocker" in distro) return distro;
  return {
    target,
    source: ctx.host("source"),
    family: distro.family,
    kernelRelease: await kernelRelease(target, ctx.signal),
    bootFiles: ctx.facts.get(OVZ_FACTS.targetIdentity)?.bootFiles ?? [],
    signal: ctx.signal,
  };
}

function fixCommands(plan: PreRebootPlan, fix: ReadinessFix): PlannedCommand[] {
  const target = (command: string): PlannedCommand => ({ host: "target", command, purpose: fix.why });
  if (fix.kind === "etc-hosts")
    return [
      target(backupCommand(ETC_HOSTS, `${plan.backupDir}${ETC_HOSTS}`)),
      target(writeFileCommand(ETC_HOSTS, "mode 644")),
    ];
  return [target(fix.command)];
}

/**
 * Step 8: before the reboot, while the VM still answers, read the migrated tree and stop on whatever
 * would leave it dead or unreachable after the boot (no DHCP client, sshd refusing root, a missing fstab
 * device); repair what is the tool's to repair (initramfs drivers, boot entry, /etc/hosts) behind a gate.
 */
export const preRebootCheck = defineStep<OvzPlan, PreRebootPlan | null>({
  id: "pre-reboot-check",
  title: "Check that the VM will come back after the reboot",
  destructive: true,

  async probe(ctx) {
    const wait = notReadyYet(ctx);
    if (wait) return { satisfied: false, plan: null, findings: [], details: [wait] };
    const input = await readinessInput(ctx);
    if ("blocker" in input) return { satisfied: false, plan: null, findings: [input.blocker] };
    const readiness = await checkBootReadiness(input);
    const plan: PreRebootPlan = {
      kernelRelease: input.kernelRelease,
      backupDir: stampedBackupDir(),
      fixes: readiness.fixes,
    };
    const details = readiness.checks.map(
      (c) => `${c.ok ? "ok" : "NOT OK"}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`,
    );
    if (plan.fixes.length === 0)
      return {
        satisfied: true,
        reason: "the migrated tree will boot and answer",
        plan,
        findings: readiness.findings,
        details,
      };
    return {
      satisfied: false,
      plan,
      findings: readiness.findings,
      details: [...details, ...plan.fixes.map((f) => `repaired before the reboot: ${f.why}`)],
    };
  },

  commands(plan) {
    return plan ? plan.fixes.flatMap((f) => fixCommands(plan, f)) : [];
  },

  async run(ctx, plan) {
    if (!plan) throw new Error("the pre-reboot check ran before the migrated tree was in place (see its probe)");
    const target = ctx.host("target");
    for (const fix of plan.fixes) {
      for (const { command } of fixCommands(plan, fix)) {
        if (isFileWrite(command) && fix.kind === "etc-hosts")
          await target.writeFile(ETC_HOSTS, fix.content, { mode: 0o644 });
        else if (fix.kind === "etc-hosts") await execOk(target, command, { signal: ctx.signal });
        else await runLogged(ctx, "target", command, { timeoutMs: 30 * 60_000 });
      }
      ctx.output("target", `repaired: ${fix.why}`);
    }
    await ctx.facts.set(OVZ_FACTS.preRebootCheck, {
      at: new Date().toISOString(),
      kernelRelease: plan.kernelRelease,
      backupDir: plan.backupDir,
      fixed: plan.fixes.map((f) => ({ kind: f.kind, why: f.why })),
    });
  },

  async verify(ctx) {
    const input = await readinessInput(ctx);
    if ("blocker" in input)
      return verifyResult([{ name: "target distribution known", ok: false, detail: input.blocker.summary }]);
    const readiness = await checkBootReadiness(input);
    // What the plan acknowledged passes here too, said so.
    const acknowledged = ctx.plan.options.acknowledge;
    const checks = readiness.checks.map(({ acknowledgeableAs, ...c }) =>
      !c.ok && acknowledged.some((a) => a.id === acknowledgeableAs)
        ? { ...c, ok: true, detail: `${c.detail ?? ""} (acknowledged in the plan)` }
        : c,
    );
    const blocking = applyAcknowledgements(readiness.findings, acknowledged)
      .filter((f) => f.blocks)
      .map((f) => ({ name: f.title, ok: false, detail: f.summary }));
    return verifyResult([...checks, ...blocking]);
  },
});
