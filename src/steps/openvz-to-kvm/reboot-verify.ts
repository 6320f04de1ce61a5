import { defineStep, verifyResult, type PlannedCommand, type VerifyCheck } from "../../engine/step.js";
import { kernelRelease, UNAME_COMMAND } from "../host/probes.js";
import { readHostKeys } from "../ssh-access/host-keys.js";
import { type OvzContext, type OvzPlan } from "./plan.js";
import { bootId, rebootAndWait, rebootCommands, waitForBootToFinish } from "../host/reboot.js";
import { showUnits, showUnitsCommand, unitName } from "../services/units.js";
import { blocker, warning, type Finding } from "../../engine/finding.js";
import { closestUnit, serviceUnitFiles, unitAsWritten } from "../services/unit-suggestions.js";
import { OVZ_FACTS } from "./facts.js";
import {
  ADDR_JSON_COMMAND,
  readDefaultRoutes,
  readGlobalAddresses,
  ROUTE_JSON_COMMAND,
} from "../network/ip-addresses.js";
import { getentCommand } from "../network/name-resolution.js";
import { FAILED_UNITS_COMMAND, failedUnits } from "../services/unit-lists.js";
import { LIST_TABLES_SQL, mysqlCommand } from "../databases/mysql-rows.js";
import { unitListOrWhy } from "./before-copy.js";
import {
  addressChecks,
  expectedServices,
  failedUnitsCheck,
  resolveCheck,
  routeCheck,
  rowCountChecks,
  servicesChecks,
} from "./after-reboot-checks.js";
import { countRowsAgain, resolveAgain } from "./after-reboot-read.js";

function expectedUnits(ctx: OvzContext): string[] {
  const dbs = ctx.facts.get(OVZ_FACTS.databases)?.units ?? [];
  return [...new Set([...dbs, ...ctx.plan.options.services.map(unitName)])];
}

/**
 * options.services the source has no unit for: the VM boots from the source's files, so the check after its
 * reboot would fail, at the end of the migration, after the copy, the freeze and the kernel install. A blocker,
 * unless the target has the unit now: restore-vm-packages may install it again after the copy (a guest agent).
 */
async function servicesMissingOnSource(ctx: OvzContext): Promise<Finding[]> {
  const source = ctx.host("source");
  const written = [...new Map(ctx.plan.options.services.map((name) => [unitName(name), name])).values()];
  const states = await showUnits(source, written.map(unitName), ctx.signal);
  const missing = written.filter((_, i) => states[i] && !states[i].loaded);
  if (missing.length === 0) return [];
  const onTarget = await showUnits(ctx.host("target"), missing.map(unitName), ctx.signal);
  const sourceUnits = await serviceUnitFiles(source, ctx.signal);
  return missing.map((name, i) => {
    const meant = closestUnit(name, sourceUnits);
    const fix = `${meant ? `write ${meant} in options.services` : "check the name in options.services"} (\`systemctl list-unit-files --type=service\` on the source lists them), or leave it out`;
    const hint = meant ? ` (did you mean ${meant}?)` : "";
    const named = `options.services names ${unitAsWritten(name)}`;
    if (onTarget[i]?.loaded)
      return warning(
        "Service not found on the source",
        `${named}, which the source has no unit for${hint}: the target has it now, but the copy replaces the target's files with the source's, so the check after the reboot fails unless restore-vm-packages installs it again`,
        fix,
        "source",
      );
    return blocker(
      "Service not found on the source",
      `${named}, which neither the source nor the target has a unit for${hint}: the VM is a copy of the source, so the check after its reboot would fail, at the end of the migration`,
      fix,
      "source",
    );
  });
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
  /** The name the VM resolved before the copy, asked again (none when nothing resolved then). */
  resolveName?: string;
  /** The source's services at the freeze the VM must run too (NOT_EXPECTED_ON_VM aside). */
  sourceServices: string[];
  /** Tables counted at the freeze, counted again on the VM. */
  countedTables: number;
}

/** Step 8: reboot the VM, wait for it (pinned to the source's host keys), check kernel, network, services. */
export const rebootVerify = defineStep<OvzPlan, RebootPlan>({
  id: "reboot-verify",
  title: "Reboot the target and check it",
  destructive: true,

  async probe(ctx) {
    const units = expectedUnits(ctx);
    const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
    const atFreeze = ctx.facts.get(OVZ_FACTS.sourceAtFreeze);
    const plan: RebootPlan = {
      acceptHostKeys: acceptKeys(ctx),
      timeoutSec: ctx.plan.options.rebootTimeoutSec,
      units,
      kernelRelease: identity?.kernelRelease,
      resolveName: ctx.facts.get(OVZ_FACTS.vmBeforeCopy)?.resolved.name ?? undefined,
      sourceServices: atFreeze ? expectedServices(atFreeze).expected : [],
      countedTables: atFreeze?.rowCounts.reduce((n, c) => n + c.tables.length, 0) ?? 0,
    };
    const details = [
      `services checked after the boot: ${units.join(", ") || "none"}${ctx.facts.get(OVZ_FACTS.databases) ? "" : " plus the databases stopped at the freeze (options.services adds more)"}`,
      `host keys accepted after the reboot: ${plan.acceptHostKeys?.join(", ") ?? "the source's, recorded by the copy"}`,
      `then compared with before the copy: addresses and interface names, default route, ${plan.resolveName ? `resolving ${plan.resolveName}` : "name resolution (not checked when nothing resolved before)"}, no newly failed unit`,
      atFreeze
        ? `compared with the source at the freeze: ${plan.sourceServices.length} services active, ${plan.countedTables} tables with at least their rows`
        : "compared with the source at the freeze (its services and row counts, read just before the stop)",
    ];
    const done = ctx.facts.get(OVZ_FACTS.reboot);
    if (done) {
      const now = await bootId(ctx.host("target"), ctx.signal);
      if (now !== done.bootIdBefore)
        return { satisfied: true, reason: `already rebooted (boot id ${now})`, plan, findings: [], details };
    }
    return { satisfied: false, plan, findings: await servicesMissingOnSource(ctx), details };
  },

  commands(plan) {
    const commands: PlannedCommand[] = [
      ...rebootCommands(
        "target",
        "reboot (detached)",
        `with backoff for up to ${plan.timeoutSec} s, accepting only the source's host keys`,
      ),
      { host: "target", command: UNAME_COMMAND, purpose: `kernel ${plan.kernelRelease ?? "as captured"}` },
      {
        host: "target",
        command: ADDR_JSON_COMMAND,
        purpose: "the addresses and interface names it had before the copy",
      },
      { host: "target", command: ROUTE_JSON_COMMAND, purpose: "the default route it had before the copy" },
      { host: "target", command: FAILED_UNITS_COMMAND, purpose: "no unit failed that had not failed before the copy" },
    ];
    if (plan.resolveName)
      commands.push({
        host: "target",
        command: getentCommand(plan.resolveName),
        purpose: "resolves the name it resolved before the copy",
      });
    if (plan.sourceServices.length > 0)
      commands.push({
        host: "target",
        command: showUnitsCommand(plan.sourceServices),
        purpose: "every service active on the source before the freeze is active",
      });
    if (plan.countedTables > 0)
      commands.push({
        host: "target",
        command: mysqlCommand("mariadb", LIST_TABLES_SQL),
        purpose: `then the row count of the ${plan.countedTables} tables counted at the freeze: at least as many rows each`,
      });
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
    // A resumed run comes here without the wait in rebootAndWait.
    await waitForBootToFinish(target, Date.now() + ctx.plan.options.rebootTimeoutSec * 1000, {
      signal: ctx.signal,
      log: (l) => ctx.output("target", l),
    });
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
    const before = ctx.facts.get(OVZ_FACTS.vmBeforeCopy);
    const atFreeze = ctx.facts.get(OVZ_FACTS.sourceAtFreeze);
    checks.push(...addressChecks(before, await readGlobalAddresses(target, ctx.signal)));
    checks.push(routeCheck(before, await readDefaultRoutes(target, ctx.signal)));
    checks.push(resolveCheck(before, await resolveAgain(target, before, ctx.signal)));
    checks.push(failedUnitsCheck(before, atFreeze, await unitListOrWhy(() => failedUnits(target, ctx.signal))));
    const units = expectedUnits(ctx);
    if (units.length > 0) {
      for (const u of await showUnits(target, units, ctx.signal))
        checks.push({ name: `${u.asked} active`, ok: u.active, detail: u.activeState });
    }
    const sourceServices = atFreeze ? expectedServices(atFreeze).expected : [];
    checks.push(...servicesChecks(atFreeze, await showUnits(target, sourceServices, ctx.signal)));
    checks.push(...rowCountChecks(atFreeze, await countRowsAgain(target, atFreeze, ctx.signal)));
    return verifyResult(checks);
  },
});
