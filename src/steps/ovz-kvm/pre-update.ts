import { verifyResult, type PlannedCommand, type ProbeResult, type Step } from "../../engine/step.js";
import { warning } from "../../engine/finding.js";
import { CONTAINER_TYPES, distroOf, virtualization } from "../common/facts.js";
import { FACT, type OvzContext, type OvzPlan } from "../common/plan.js";
import { runLogged } from "../common/run-logged.js";
import { bootId, REBOOT_COMMAND, rebootAndWait, type RebootOutcome } from "../common/reboot.js";

const ROLES = ["source", "target"] as const;
const UPDATE_TIMEOUT_MS = 60 * 60_000;

interface PreUpdateFact {
  source?: RebootOutcome & { container: boolean };
  target?: RebootOutcome & { container: boolean };
}

/** Step 1: free space, update every package, reboot, confirm a new boot, on both hosts. */
export const preUpdate: Step<OvzPlan> = {
  id: "pre-update",
  title: "Update and reboot both hosts",
  destructive: true,
  skip: (ctx) => (ctx.plan.options.skipPreUpdate ? "skipped by the plan (options.skipPreUpdate: true)" : undefined),

  async probe(ctx) {
    const commands: PlannedCommand[] = [];
    const details: string[] = [];
    const findings: ProbeResult["findings"] = [];
    const facts: Record<string, unknown> = {};
    for (const role of ROLES) {
      const host = ctx.host(role);
      const distro = await distroOf(host);
      if (!distro.family) {
        findings.push(warning("Unknown distribution", `${role} runs ${distro.release?.pretty ?? "an unknown system"}: no update commands known (release-match blocks this)`, undefined, role));
        continue;
      }
      const virt = await virtualization(host, ctx.signal);
      const container = CONTAINER_TYPES.has(virt);
      facts[`${role}Virtualization`] = virt;
      for (const c of distro.family.cleanCommands(distro.release)) commands.push({ host: role, command: c, purpose: "free space (journal, package cache)" });
      for (const c of distro.family.updateCommands(distro.release)) commands.push({ host: role, command: c, purpose: "update every package, keeping changed config files" });
      commands.push({ host: role, command: REBOOT_COMMAND, purpose: container ? `restart the ${virt} container` : "reboot the VM" });
      details.push(`${role}: ${distro.release.pretty} (${virt}${container ? ", a container: its reboot is the container's restart, proven by a marker in /run since it keeps the node's boot id" : ""})`);
      if (role === "source" && virt === "openvz") {
        details.push("source: an OpenVZ container comes back only if the node restarts it (vzctl/vzeventd); if it stays down, run `vzctl start CTID` on the node");
      }
    }
    details.push(`each host must answer again within ${ctx.plan.options.rebootTimeoutSec} s (options.rebootTimeoutSec)`);
    return { satisfied: false, commands, findings, details, facts };
  },

  async run(ctx) {
    const record: PreUpdateFact = { ...(ctx.facts.get<PreUpdateFact>(FACT.preUpdate) ?? {}) };
    for (const role of ROLES) {
      const host = ctx.host(role);
      const distro = await distroOf(host);
      if (!distro.family) throw new Error(`${role}: unknown distribution, cannot update it`);
      const virt = await virtualization(host, ctx.signal);
      for (const c of distro.family.cleanCommands(distro.release)) {
        await runLogged(ctx, role, c).catch((e: unknown) => ctx.output(role, `cleanup failed (not fatal): ${e instanceof Error ? e.message : String(e)}`, "stderr"));
      }
      for (const c of distro.family.updateCommands(distro.release)) await runLogged(ctx, role, c, { timeoutMs: UPDATE_TIMEOUT_MS });
      ctx.output(role, `$ ${REBOOT_COMMAND}`);
      const outcome = await rebootAndWait(host, { timeoutSec: ctx.plan.options.rebootTimeoutSec, signal: ctx.signal, log: (l) => ctx.output(role, l) });
      record[role] = { ...outcome, container: CONTAINER_TYPES.has(virt) };
      await ctx.facts.set(FACT.preUpdate, record);
    }
  },

  async verify(ctx: OvzContext) {
    const record = ctx.facts.get<PreUpdateFact>(FACT.preUpdate) ?? {};
    const checks = [];
    for (const role of ROLES) {
      const r = record[role];
      checks.push({ name: `${role} rebooted after the update`, ok: !!r && (r.bootIdAfter !== r.bootIdBefore || r.provedByMarker), detail: r ? `boot id ${r.bootIdBefore} -> ${r.bootIdAfter}${r.provedByMarker ? " (container: marker in /run gone)" : ""}` : "no reboot recorded" });
    }
    // Answering at all proves the host is up; the boot id is read so a dead connection fails here.
    for (const role of ROLES) {
      const id = await bootId(ctx.host(role), ctx.signal).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      checks.push({ name: `${role} answers`, ok: typeof id === "string", detail: typeof id === "string" ? `boot id ${id}` : id.message });
    }
    return verifyResult(checks);
  },
};
