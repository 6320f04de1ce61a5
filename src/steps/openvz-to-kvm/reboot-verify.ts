import { defineStep, verifyResult, type PlannedCommand, type VerifyCheck } from "../../engine/step.js";
import { cmd } from "../../hosts/quote.js";
import { kernelRelease, UNAME_COMMAND } from "../host/probes.js";
import { readHostKeys } from "../ssh-access/host-keys.js";
import { type OvzContext, type OvzPlan } from "./plan.js";
import { bootId, rebootAndWait, rebootCommands } from "../host/reboot.js";
import { showUnits, showUnitsCommand, unitName } from "../services/units.js";
import { OVZ_FACTS } from "./facts.js";

export const ROUTE_COMMAND = cmd("ip", "-o", "route", "show", "default");
export const ADDR_COMMAND = cmd("ip", "-o", "addr", "show", "scope", "global");

function expectedUnits(ctx: OvzContext): string[] {
  const dbs = ctx.facts.get(OVZ_FACTS.databases)?.units ?? [];
  return [...new Set([...dbs, ...ctx.plan.options.services.map(unitName)])];
}

/** The pinned fingerprints the target must present after the copy: the source's. */
function acceptKeys(ctx: OvzContext): string[] | undefined {
  const keys = ctx.facts.get(OVZ_FACTS.targetAcceptHostKeys) ?? ctx.facts.get(OVZ_FACTS.sourceHostKeyFingerprints);
  return keys && keys.length > 0 ? keys : undefined;
}

/** What reboot-verify applies: the reboot, waited for with exactly these host keys; then what verify checks. */
export interface RebootPlan {
  acceptHostKeys?: string[];
  timeoutSec: number;
  /** Checked by verify after the boot (shown at the gate). */
  units: string[];
  kernelRelease?: string;
}

/** Step 8: reboot the VM, wait for it (pinned to the source's host keys), check kernel, network, services. */
export const rebootVerify = defineStep<OvzPlan, RebootPlan>({
  id: "reboot-verify",
  title: "Reboot the target and check it",
  destructive: true,

  async probe(ctx) {
    const units = expectedUnits(ctx);
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    const plan: RebootPlan = {
      acceptHostKeys: acceptKeys(ctx),
      timeoutSec: ctx.plan.options.rebootTimeoutSec,
      units,
      kernelRelease: identity?.kernelRelease,
    };
    const details = [
      `services checked after the boot: ${units.join(", ") || "none"}${ctx.facts.get(OVZ_FACTS.databases) ? "" : " plus the databases stopped at the freeze (options.services adds more)"}`,
      `host keys accepted after the reboot: ${plan.acceptHostKeys?.join(", ") ?? "the source's, recorded by the copy"}`,
    ];
    const done = ctx.facts.get(OVZ_FACTS.reboot);
    if (done) {
      const now = await bootId(ctx.host("target"), ctx.signal);
      if (now !== done.bootIdBefore)
        return { satisfied: true, reason: `already rebooted (boot id ${now})`, plan, findings: [], details };
    }
    return { satisfied: false, plan, findings: [], details };
  },

  commands(plan) {
    const commands: PlannedCommand[] = [
      ...rebootCommands(
        "target",
        "reboot (detached)",
        `with backoff for up to ${plan.timeoutSec} s, accepting only the source's host keys`,
      ),
      { host: "target", command: UNAME_COMMAND, purpose: `kernel ${plan.kernelRelease ?? "as captured"}` },
      { host: "target", command: ROUTE_COMMAND, purpose: "network up: a default route" },
      { host: "target", command: ADDR_COMMAND, purpose: "network up: a global address" },
    ];
    if (plan.units.length > 0)
      commands.push({
        host: "target",
        command: showUnitsCommand(plan.units),
        purpose: "databases and plan services active",
      });
    return commands;
  },

  async run(ctx, plan) {
    const outcome = await rebootAndWait(ctx.host("target"), {
      timeoutSec: plan.timeoutSec,
      acceptHostKeys: plan.acceptHostKeys,
      signal: ctx.signal,
      log: (l) => ctx.output("target", l),
    });
    await ctx.facts.set(OVZ_FACTS.reboot, outcome);
  },

  async verify(ctx) {
    const target = ctx.host("target");
    const outcome = ctx.facts.get(OVZ_FACTS.reboot);
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    const checks: VerifyCheck[] = [];
    const now = await bootId(target, ctx.signal);
    checks.push({
      name: "new boot",
      ok: !!outcome && now !== outcome.bootIdBefore,
      detail: outcome ? `boot id ${outcome.bootIdBefore} -> ${now}` : "no reboot recorded",
    });
    const release = await kernelRelease(target, ctx.signal);
    checks.push({
      name: "kernel release",
      ok: !identity || release === identity.kernelRelease,
      detail: `${release}${identity ? ` (expected ${identity.kernelRelease})` : ""}`,
    });
    const expectedKeys = acceptKeys(ctx) ?? [];
    const keys = (await readHostKeys(target)).map((k) => k.fingerprint);
    checks.push({
      name: "host keys are the source's",
      ok: expectedKeys.length > 0 && keys.every((k) => expectedKeys.includes(k)) && keys.length > 0,
      detail: keys.join(", "),
    });
    const route = await target.exec(ROUTE_COMMAND, { signal: ctx.signal });
    const addr = await target.exec(ADDR_COMMAND, { signal: ctx.signal });
    checks.push({
      name: "default route",
      ok: route.code === 0 && route.stdout.trim() !== "",
      detail: route.stdout.trim().split("\n")[0],
    });
    checks.push({
      name: "global address",
      ok: addr.code === 0 && addr.stdout.trim() !== "",
      detail: addr.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/).slice(1, 4).join(" "))
        .join("; "),
    });
    const units = expectedUnits(ctx);
    if (units.length > 0) {
      for (const u of await showUnits(target, units, ctx.signal))
        checks.push({ name: `${u.asked} active`, ok: u.active, detail: u.activeState });
    }
    return verifyResult(checks);
  },
});
