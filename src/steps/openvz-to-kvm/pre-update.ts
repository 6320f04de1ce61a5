import { defineStep, verifyResult } from "../../engine/step.js";
import { warning, type Finding } from "../../engine/finding.js";
import { CONTAINER_TYPES, distroOf, virtualization } from "../host/probes.js";
import { type OvzContext, type OvzPlan } from "./plan.js";
import { runLogged } from "./run-logged.js";
import { bootId, REBOOT_COMMAND, rebootAndWait, rebootCommands } from "../host/reboot.js";
import { OVZ_FACTS } from "./facts.js";
import type { FactValue } from "../../engine/facts.js";
import { DELETIONS_FACT, type Deletion } from "../../engine/deletions.js";

const ROLES = ["source", "target"] as const;
const UPDATE_TIMEOUT_MS = 60 * 60_000;

/** One host's part of the plan: the commands to run there, then a reboot. */
export interface HostUpdate {
  role: (typeof ROLES)[number];
  virt: string;
  container: boolean;
  clean: string[];
  update: string[];
}

export interface PreUpdatePlan {
  hosts: HostUpdate[];
  /** Hosts whose distribution is unknown: no update commands exist for them (release-match blocks). */
  unknown: string[];
  rebootTimeoutSec: number;
}

/** Step 1: free space, update every package, reboot, confirm a new boot, on both hosts. */
export const preUpdate = defineStep<OvzPlan, PreUpdatePlan>({
  id: "pre-update",
  title: "Update and reboot both hosts",
  destructive: true,
  skip: (ctx) => (ctx.plan.options.skipPreUpdate ? "skipped by the plan (options.skipPreUpdate: true)" : undefined),

  async probe(ctx) {
    const details: string[] = [];
    const findings: Finding[] = [];
    const facts: Record<string, unknown> = {};
    const deletions: Deletion[] = [];
    const plan: PreUpdatePlan = { hosts: [], unknown: [], rebootTimeoutSec: ctx.plan.options.rebootTimeoutSec };
    for (const role of ROLES) {
      const host = ctx.host(role);
      const distro = await distroOf(host);
      if (!distro.family) {
        findings.push(
          warning(
            "Unknown distribution",
            `${role} runs ${distro.release?.pretty ?? "an unknown system"}: no update commands known (release-match blocks this)`,
            undefined,
            role,
          ),
        );
        plan.unknown.push(role);
        continue;
      }
      const virt = await virtualization(host, ctx.signal);
      const container = CONTAINER_TYPES.has(virt);
      facts[`${role}Virtualization`] = virt;
      const clean = distro.family.cleanCommands(distro.release);
      plan.hosts.push({ role, virt, container, clean, update: distro.family.updateCommands(distro.release) });
      deletions.push({ host: role, what: distro.family.cleanDeletes, commands: clean });
      details.push(
        `${role}: ${distro.release.pretty} (${virt}${container ? ", a container: its reboot is the container's restart, proven by a marker in /run since it keeps the node's boot id" : ""})`,
      );
      if (role === "source" && virt === "openvz") {
        details.push(
          "source: an OpenVZ container comes back only if the node restarts it (vzctl/vzeventd); if it stays down, run `vzctl start CTID` on the node",
        );
      }
    }
    details.push(
      `each host must answer again within ${ctx.plan.options.rebootTimeoutSec} s (options.rebootTimeoutSec)`,
    );
    if (deletions.length > 0) facts[DELETIONS_FACT] = deletions;
    return { satisfied: false, findings, details, facts, plan };
  },

  commands(plan) {
    return plan.hosts.flatMap((h) => [
      ...h.clean.map((command) => ({ host: h.role, command, purpose: "free space (journal, package cache)" })),
      ...h.update.map((command) => ({
        host: h.role,
        command,
        purpose: "update every package, keeping changed config files",
      })),
      ...rebootCommands(
        h.role,
        h.container ? `restart the ${h.virt} container` : "reboot the VM",
        `with backoff for up to ${plan.rebootTimeoutSec} s`,
      ),
    ]);
  },

  async run(ctx, plan) {
    if (plan.unknown.length > 0) throw new Error(`${plan.unknown.join(", ")}: unknown distribution, cannot update it`);
    const record: FactValue<typeof OVZ_FACTS.preUpdate> = { ...(ctx.facts.get(OVZ_FACTS.preUpdate) ?? {}) };
    for (const h of plan.hosts) {
      for (const c of h.clean) {
        await runLogged(ctx, h.role, c).catch((e: unknown) =>
          ctx.output(h.role, `cleanup failed (not fatal): ${e instanceof Error ? e.message : String(e)}`, "stderr"),
        );
      }
      for (const c of h.update) await runLogged(ctx, h.role, c, { timeoutMs: UPDATE_TIMEOUT_MS });
      ctx.output(h.role, `$ ${REBOOT_COMMAND}`);
      const outcome = await rebootAndWait(ctx.host(h.role), {
        timeoutSec: plan.rebootTimeoutSec,
        signal: ctx.signal,
        log: (l) => ctx.output(h.role, l),
      });
      record[h.role] = { ...outcome, container: h.container };
      await ctx.facts.set(OVZ_FACTS.preUpdate, record);
    }
  },
  async verify(ctx: OvzContext) {
    const record = ctx.facts.get(OVZ_FACTS.preUpdate) ?? {};
    const checks = [];
    for (const role of ROLES) {
      const r = record[role];
      checks.push({
        name: `${role} rebooted after the update`,
        ok: !!r && (r.bootIdAfter !== r.bootIdBefore || r.provedByMarker),
        detail: r
          ? `boot id ${r.bootIdBefore} -> ${r.bootIdAfter}${r.provedByMarker ? " (container: marker in /run gone)" : ""}`
          : "no reboot recorded",
      });
    }
    // Answering at all proves the host is up; the boot id is read so a dead connection fails here.
    for (const role of ROLES) {
      const id = await bootId(ctx.host(role), ctx.signal).catch((e: unknown) =>
        e instanceof Error ? e : new Error(String(e)),
      );
      checks.push({
        name: `${role} answers`,
        ok: typeof id === "string",
        detail: typeof id === "string" ? `boot id ${id}` : id.message,
      });
    }
    return verifyResult(checks);
  },
});
