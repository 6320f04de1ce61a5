import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, type PlannedCommand } from "../../engine/step.js";
import { execOk, type Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import {
  accessCommands,
  accessReady,
  ensureMigrationAccess,
  removeMigrationAccess,
  revokeCommand,
  type AccessEndpoint,
} from "../ssh-access/migration-key.js";
import { targetFromSource, type OvzContext, type OvzPlan } from "./plan.js";
import { runLogged } from "./run-logged.js";
import { START_SOURCE_COMPENSATION } from "./cutover.js";
import {
  freezeSetOf,
  freezeUnits,
  runningNow,
  showPropsCommand,
  STAMP_PROPS,
  unitStamps,
  unitsThatRan,
  type FreezeSet,
  type UnitStamp,
} from "../services/freeze-units.js";
import { detectDatabases, showUnits, KNOWN_DATABASES } from "../services/units.js";
import { closestUnit, serviceUnitFiles, unitAsWritten } from "../services/unit-suggestions.js";
import { startCommand } from "../services/start-command.js";
import { stoppedByEarlierRun } from "../services/stopped-by-earlier-run.js";
import { stoppedDatabasesFinding } from "./stopped-databases-finding.js";
import { MIGRATION_DIR } from "../rsync/excludes.js";
import { OVZ_FACTS, type DatabaseFact } from "./facts.js";
import { cutoverFinishedAt, passCommands, passPlan, syncCommandBuilder, syncPass, type PassPlan } from "./sync.js";
import { describeSourceAtFreeze, readSourceAtFreeze } from "./at-freeze.js";
import {
  CATCH_UP_WHY,
  changedPass,
  changedPassCommands,
  liveMarkPresent,
  startWaitingCopy,
  type WaitingCopy,
  closeSharedConnection,
  openSharedConnection,
  finalPassPlan,
  needsRefreeze,
  proveAndRepair,
  type FinalPassPlan,
  type ProofResult,
} from "./short-freeze.js";

export { startCommand };
export const stopCommand = (units: string[]): string => cmd("systemctl", "stop", "--", ...units);
const RELOAD = cmd("systemctl", "daemon-reload");
/**
 * The copy excludes /run (the VM's live tmpfs), so the runtime directories the copied tmpfiles.d entries
 * name (/run/mysqld, /run/mariadb, /run/postgresql) exist on the target only after a boot: create the
 * /run ones now, as the boot would, or the databases cannot start there.
 */
export const TMPFILES_RUN = cmd("systemd-tmpfiles", "--create", "--prefix=/run");

/** Declared with its shape in facts.ts. */
export type { DatabaseFact } from "./facts.js";

/** Not fatal: a line of another package may fail (exit 65/73) while the databases' directories were made; the start tells. */
async function createRuntimeDirs(ctx: OvzContext): Promise<void> {
  ctx.output("target", `$ ${TMPFILES_RUN}`);
  const r = await ctx.host("target").exec(TMPFILES_RUN, {
    signal: ctx.signal,
    onStdout: (l) => ctx.output("target", l),
    onStderr: (l) => ctx.output("target", l, "stderr"),
  });
  if (r.code !== 0) ctx.output("target", `systemd-tmpfiles exited ${r.code}; starting the databases anyway`, "stderr");
}

/**
 * Throws when a frozen unit is active, or became active since `before` was read: the databases' files
 * may then hold writes the target will not get. The step fails and its compensation restarts the source.
 */
async function assertFrozen(ctx: OvzContext, units: string[], before: UnitStamp[], when: string): Promise<UnitStamp[]> {
  ctx.output("source", `$ ${showPropsCommand(STAMP_PROPS, units)}`);
  const now = await unitStamps(ctx.host("source"), units, ctx.signal);
  const ran = unitsThatRan(before.length > 0 ? before : now, now);
  if (ran.length > 0) {
    throw new Error(
      `the source's ${ran.join(", ")} ran ${when} although the freeze stopped it: something started it again (a socket, timer or other unit not in the freeze); the copy may miss its writes. List what starts it in options.databases and run again`,
    );
  }
  return now;
}

async function ranSinceFreeze(ctx: OvzContext, record: DatabaseFact): Promise<string[]> {
  return runningNow(
    ctx.host("source"),
    freezeUnits({ services: record.units, triggers: record.triggers ?? [] }),
    ctx.signal,
  );
}

/**
 * One freeze: stop, the final pass (changed paths, or the whole tree when `final` says so or the list
 * cannot be made), check nothing started meanwhile, and unless this is a cutover start the source again.
 * The record's times are this freeze's; the window is from the stop to the source's start.
 */
async function freezeAndCopy(
  ctx: OvzContext,
  plan: Extract<FreezePlan, { kind: "freeze" }>,
  record: DatabaseFact,
  final: FinalPassPlan,
): Promise<{ windowSec: number; scope: "changed" | "whole" }> {
  const stopped = freezeUnits(plan.freeze);
  const changed = final.kind === "changed" && (await liveMarkPresent(ctx)) ? final : null;
  if (changed) await openSharedConnection(ctx, changed);
  const waiting = changed ? startWaitingCopy(ctx, changed) : null;
  try {
    return await stopCopyStart(ctx, plan, record, stopped, waiting && changed ? { plan: changed, waiting } : null);
  } finally {
    // Anything that failed before the list was given: the waiting rsync copies nothing and lets go of the lock.
    if (waiting) await waiting.cancel();
    if (changed) await closeSharedConnection(ctx, changed);
  }
}

async function stopCopyStart(
  ctx: OvzContext,
  plan: Extract<FreezePlan, { kind: "freeze" }>,
  record: DatabaseFact,
  stopped: string[],
  short: { plan: Extract<FinalPassPlan, { kind: "changed" }>; waiting: WaitingCopy } | null,
): Promise<{ windowSec: number; scope: "changed" | "whole" }> {
  record.stoppedAt = new Date().toISOString();
  // Recorded before the stop is sent, outside the window: a run killed while the stop runs (a database flushing)
  // leaves the journal since when its databases are down, which status says (found by a new-user trial).
  await ctx.facts.set(OVZ_FACTS.databases, record);
  const frozenAt = Date.now();
  await runLogged(ctx, "source", stopCommand(stopped));
  const frozen = await assertFrozen(ctx, stopped, [], "after the stop");
  record.allStoppedAt = new Date().toISOString();
  await ctx.facts.set(OVZ_FACTS.databases, record);
  const listed = short ? await changedPass(ctx, short.plan, short.waiting) : null;
  const pass = listed ?? (await syncPass(ctx, "final", plan.pass, { restoreKeys: false }));
  await ctx.facts.set(OVZ_FACTS.finalSyncAt, pass.at);
  // The copy is only consistent if nothing ran on the source while rsync read it.
  await assertFrozen(ctx, stopped, frozen, "through the final pass");
  let thawedAt = Date.now();
  if (!plan.cutover) {
    record.thawStartedAt = new Date().toISOString();
    await runLogged(ctx, "source", startCommand(stopped));
    thawedAt = Date.now();
    record.startedOnSourceAt = new Date(thawedAt).toISOString();
    await ctx.facts.set(OVZ_FACTS.databases, record);
  }
  return { windowSec: Math.round((thawedAt - frozenAt) / 100) / 10, scope: listed ? "changed" : "whole" };
}

function describeProof(proof: ProofResult): string {
  const head = `proof after the thaw (${proof.seconds} s): ${proof.differences} differences, ${proof.sinceFreeze} of them changed on the source since the freeze`;
  const repair = proof.repairSeconds === undefined ? "" : ` in ${proof.repairSeconds} s`;
  if (proof.unclassified)
    return `${head}; not classified (${proof.unclassified}): the freeze is redone with a full pass`;
  if (proof.staleInDatabases.length > 0)
    return `${head}; inside the database directories, ${proof.staleInDatabases.slice(0, 5).join(", ")} differ from a source unchanged since the freeze: the freeze is redone with a full pass`;
  if (proof.repairedCount === 0) return `${head}: nothing was missed`;
  return `${head}; ${proof.repairedCount} the source did not change since the freeze were copied again${repair} (${proof.repaired.slice(0, 5).join(", ")}${proof.repairedCount > 5 ? ", ..." : ""})`;
}

/** What db-freeze applies: after a finished cutover only the key removal; otherwise the freeze and final pass. */
export type FreezePlan =
  | { kind: "finish-cutover"; cutoverAt: string }
  | {
      kind: "freeze";
      access: AccessEndpoint | null;
      units: string[];
      freeze: FreezeSet;
      /** Frozen units found running on the target when the plan was made (the copy brought their unit files). */
      activeOnTarget: string[];
      cutover: boolean;
      pass: PassPlan;
      /** The frozen pass: only what changed since the last live pass (proven after the thaw), or the whole tree. */
      final: FinalPassPlan;
    };

const revokeCommands = (): PlannedCommand[] => [
  { host: "target", command: revokeCommand("target"), purpose: "remove the migration key" },
  { host: "source", command: revokeCommand("source"), purpose: "remove the migration key and key pair" },
];

/**
 * options.databases the source has no unit for: a blocker, since that database would keep running through the
 * final pass, whose copy of its files could then be torn or miss the writes made during it.
 */
async function databasesMissing(source: Host, missing: string[], signal?: AbortSignal): Promise<Finding[]> {
  if (missing.length === 0) return [];
  const units = await serviceUnitFiles(source, signal);
  return missing.map((name) => {
    const meant = closestUnit(name, units);
    return blocker(
      "Database unit not found",
      `options.databases names ${unitAsWritten(name)}, which the source has no unit for${meant ? ` (did you mean ${meant}?)` : ""}: it would not be stopped for the final pass, whose copy of its files could then be torn or miss its last writes`,
      `${meant ? `write ${meant} in options.databases` : "check the name in options.databases"} (\`systemctl list-unit-files --type=service\` on the source lists them), or leave it out`,
      "source",
    );
  });
}

/** Step 5: stop the databases on both sides, final pass, start them on the target (and the source). */
export const dbFreeze = defineStep<OvzPlan, FreezePlan>({
  id: "db-freeze",
  title: "Stop the databases, final copy, start them again",
  destructive: true,

  async probe(ctx) {
    const cutoverAt = cutoverFinishedAt(ctx);
    if (cutoverAt) {
      return {
        satisfied: false,
        plan: { kind: "finish-cutover", cutoverAt },
        findings: [],
        details: [
          `the cutover finished at ${cutoverAt}: no database is stopped and no copy runs again; only the migration key is removed`,
        ],
      };
    }
    const found = await detectDatabases(ctx.host("source"), ctx.plan.options.databases, ctx.signal);
    const findings = await databasesMissing(ctx.host("source"), found.missingFromPlan, ctx.signal);
    // Stopped by a killed run's freeze: the run starts them first (its pending undo), then finds them running.
    const startedFirst = stoppedByEarlierRun(ctx.compensations.pending(), "source");
    const restarted = found.installedInactive.filter((u) => startedFirst.has(u));
    if (restarted.length > 0) findings.push(stoppedDatabasesFinding(restarted, startedFirst, ctx.facts.all()));
    const units = [...found.active, ...restarted].sort();
    const freeze = await freezeSetOf(ctx.host("source"), units, ctx.signal, startedFirst);
    const stopped = freezeUnits(freeze);
    if (units.length === 0)
      findings.push(
        warning(
          "No running database found",
          `none of ${[...KNOWN_DATABASES, ...ctx.plan.options.databases.map(unitAsWritten)].join(", ")} is active on the source: the final pass runs with every service up`,
          "list other data services in options.databases",
          "source",
        ),
      );
    const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
    const last = passes.filter((p) => p.kind === "live").at(-1);
    const details = [
      `databases: ${units.join(", ") || "none"}${freeze.triggers.length ? `; started on demand by ${freeze.triggers.join(", ")} (stopped with them)` : ""}${found.installedInactive.length ? `; installed but not running: ${found.installedInactive.join(", ")}` : ""}`,
      last
        ? `the last live pass took ${last.seconds} s and changed ${last.transferredBytes} bytes: the freeze window should be about that long`
        : "the freeze window lasts one final pass; its length is recorded as freezeWindowSec",
      "just before the stop: the source's failed units, active services and each table's row count (MariaDB/MySQL) are read for the checks after the VM's reboot",
      ctx.plan.options.cutover
        ? "cutover: after the final pass the source's databases stay stopped"
        : "the source's databases start again right after the final pass",
    ];
    // Before the copy the target has none of these units; the plan is made again just before the run.
    const copied = ctx.facts.get(OVZ_FACTS.syncPasses) !== undefined;
    const activeOnTarget =
      copied && stopped.length > 0
        ? (await showUnits(ctx.host("target"), stopped, ctx.signal)).filter((u) => u.active).map((u) => u.id)
        : [];
    const access = (await accessReady(ctx.host("source"))) ? null : targetFromSource(ctx.plan);
    const command = await syncCommandBuilder(ctx);
    const pass = await passPlan(ctx, command);
    const final = await finalPassPlan(ctx, units, pass, ctx.plan.options.finalPass, command);
    if (final.kind === "changed" && final.catchUpLivePass) details.push(CATCH_UP_WHY);
    details.push(
      final.kind === "changed"
        ? `the final pass copies ${final.databaseDirs.length > 0 ? `the database directories (${final.databaseDirs.join(", ")}) whole and ` : ""}only what changed since the last live pass began; after the thaw a full comparison proves nothing was missed (else the freeze is redone with a full pass)`
        : `the final pass copies the whole tree: ${final.why}`,
    );
    return {
      satisfied: false,
      plan: {
        kind: "freeze",
        access,
        units,
        freeze,
        activeOnTarget,
        cutover: ctx.plan.options.cutover,
        pass,
        final,
      },
      findings,
      details,
      facts: { sourceDatabases: units, sourceDatabaseTriggers: freeze.triggers },
    };
  },

  commands(plan) {
    if (plan.kind === "finish-cutover") return revokeCommands();
    const stopped = freezeUnits(plan.freeze);
    const commands: PlannedCommand[] = plan.access ? accessCommands(plan.access) : [];
    const changed = plan.final.kind === "changed" ? changedPassCommands(plan.final) : null;
    if (plan.final.kind === "changed" && plan.final.catchUpLivePass)
      commands.push(
        ...passCommands(
          plan.pass,
          "a live pass first, with the databases running: its mark dates the short freeze's changes",
          {
            live: true,
          },
        ),
      );
    if (plan.units.length > 0) {
      commands.push({ host: "target", command: RELOAD, purpose: "see the copied unit files" });
      if (plan.activeOnTarget.length > 0)
        commands.push({
          host: "target",
          command: stopCommand(plan.activeOnTarget),
          purpose: "make sure the copied databases are not running on the target",
        });
      if (changed) commands.push(...changed.beforeStop);
      commands.push({
        host: "source",
        command: stopCommand(stopped),
        purpose:
          "freeze: stop the databases and what triggers them (a compensation starts them again if anything fails)",
      });
      commands.push({
        host: "source",
        command: showPropsCommand(STAMP_PROPS, stopped),
        purpose: "check they stopped; read again after the final pass: any start in between fails the step",
      });
    }
    const whole = changed
      ? passCommands({ ...plan.pass, restoreKeys: null }, "the freeze again, with the whole tree", {
          when: "the short pass cannot run, or the proof finds a database file that differs from a source unchanged since the freeze",
        })
      : passCommands({ ...plan.pass, restoreKeys: null }, "final pass with the databases stopped");
    commands.push(...(changed ? [...changed.frozen, ...whole] : whole));
    if (plan.units.length > 0 && !plan.cutover)
      commands.push({
        host: "source",
        command: startCommand(stopped),
        purpose: "start the databases on the source again (the freeze window ends)",
      });
    if (changed) commands.push(...changed.afterThaw);
    if (plan.pass.restoreKeys)
      commands.push({
        host: "target",
        command: plan.pass.restoreKeys,
        purpose: "root's keys on the target (its own, and the source's admins'), each added once",
      });
    if (changed) commands.push(...changed.proof);
    if (plan.units.length > 0) {
      commands.push({ host: "target", command: RELOAD, purpose: "see the unit files of the final pass" });
      commands.push({
        host: "target",
        command: TMPFILES_RUN,
        purpose: "create the runtime directories in /run the copied tmpfiles.d entries name (the copy excludes /run)",
      });
      commands.push({
        host: "target",
        command: startCommand(stopped),
        purpose: `start the databases on the target${plan.cutover ? " (cutover: the source's stay stopped until the cutover step)" : ""}`,
      });
    }
    return [...commands, ...revokeCommands()];
  },

  async run(ctx, plan) {
    if (plan.kind === "finish-cutover") {
      // Interrupted after the cutover itself (while removing the key): finish that, never copy again.
      ctx.output("source", `the cutover finished at ${plan.cutoverAt}; only the migration key is left to remove`);
      const previous = ctx.facts.get(OVZ_FACTS.databases);
      if (ctx.facts.get(OVZ_FACTS.freezeWindowSec) === undefined)
        await ctx.facts.set(
          OVZ_FACTS.freezeWindowSec,
          previous?.stoppedAt
            ? Math.round((Date.parse(plan.cutoverAt) - Date.parse(previous.stoppedAt)) / 100) / 10
            : 0,
        );
      await removeMigrationAccess(ctx);
      return;
    }
    if (plan.access) await ensureMigrationAccess(ctx, plan.access);
    const { units, freeze, cutover } = plan;
    const stopped = freezeUnits(freeze);
    if (plan.final.kind === "changed" && plan.final.catchUpLivePass) {
      ctx.output("source", CATCH_UP_WHY);
      await syncPass(ctx, "live", plan.pass);
    }
    const record: DatabaseFact = { units, triggers: freeze.triggers, leftStoppedOnSource: false };
    await ctx.facts.set(OVZ_FACTS.databases, record);
    // Read while the databases still run; rows written after the count are copied too (the VM may have more).
    const atFreeze = await readSourceAtFreeze(ctx.host("source"), units, ctx.signal);
    await ctx.facts.set(OVZ_FACTS.sourceAtFreeze, atFreeze);
    ctx.output("source", describeSourceAtFreeze(atFreeze));
    if (units.length === 0) {
      const final = await syncPass(ctx, "final", plan.pass);
      await ctx.facts.set(OVZ_FACTS.finalSyncAt, final.at);
      await ctx.facts.set(OVZ_FACTS.freezeWindowSec, 0);
      ctx.output("source", "no database was stopped: freeze window 0 s");
      await removeMigrationAccess(ctx);
      return;
    }
    // Before the stop, so the slow VM's part is outside the window.
    await runLogged(ctx, "target", RELOAD);
    if (plan.activeOnTarget.length > 0) await runLogged(ctx, "target", stopCommand(plan.activeOnTarget));
    // Registered before the stop: a crash or failure from here on starts exactly what was stopped.
    await ctx.compensations.register({
      id: START_SOURCE_COMPENSATION,
      title: `start ${stopped.join(", ")} on the source`,
      host: "source",
      command: startCommand(stopped),
    });
    const windows: number[] = [];
    const first = await freezeAndCopy(ctx, plan, record, plan.final);
    windows.push(first.windowSec);
    if (plan.pass.restoreKeys) await execOk(ctx.host("target"), plan.pass.restoreKeys, { signal: ctx.signal });
    if (first.scope === "changed" && plan.final.kind === "changed") {
      const proof = await proveAndRepair(ctx, plan.final);
      const refreeze = needsRefreeze(proof);
      const proofFact = { ...proof, firstWindowSec: first.windowSec };
      await ctx.facts.set(OVZ_FACTS.freezeProof, { ...proofFact, redo: refreeze ? "under way" : "not needed" });
      ctx.output("source", describeProof(proof));
      if (refreeze) {
        const again = await freezeAndCopy(ctx, plan, record, { kind: "full", why: "the proof found a miss" });
        windows.push(again.windowSec);
        await ctx.facts.set(OVZ_FACTS.freezeProof, { ...proofFact, redo: "done" });
        if (plan.pass.restoreKeys) await execOk(ctx.host("target"), plan.pass.restoreKeys, { signal: ctx.signal });
      }
    }
    await runLogged(ctx, "target", RELOAD);
    await createRuntimeDirs(ctx);
    await runLogged(ctx, "target", startCommand(stopped), { timeoutMs: 600_000 });
    record.startedOnTargetAt = new Date().toISOString();
    let freezeWindowSec = windows.reduce((sum, w) => sum + w, 0);
    if (cutover) {
      // The source stays stopped, but its compensation stays pending until the cutover step: a
      // failure before the VM proved itself starts the source again.
      freezeWindowSec = Math.round((Date.now() - Date.parse(record.stoppedAt!)) / 100) / 10;
      record.leftStoppedOnSource = true;
    } else await ctx.compensations.clear(START_SOURCE_COMPENSATION);
    freezeWindowSec = Math.round(freezeWindowSec * 10) / 10;
    await ctx.facts.set(OVZ_FACTS.databases, record);
    await ctx.facts.set(OVZ_FACTS.freezeWindowSec, freezeWindowSec);
    ctx.output(
      "source",
      `freeze window: ${freezeWindowSec} s (${units.join(", ")} stopped ${cutover ? "until they ran on the target" : windows.length > 1 ? `on the source, twice: ${windows.join(" s + ")} s` : "on the source"})`,
    );
    await removeMigrationAccess(ctx);
  },

  async verify(ctx) {
    const window = ctx.facts.get(OVZ_FACTS.freezeWindowSec);
    const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
    const keyGone = (await ctx.host("source").stat(MIGRATION_DIR)) === null;
    const record = ctx.facts.get(OVZ_FACTS.databases);
    // A cutover not yet made needs the source as the final pass left it: if a failure started its
    // databases again since, their new writes are not on the VM and the freeze must be redone.
    const awaitingCutover = ctx.plan.options.cutover && record?.leftStoppedOnSource && !record.cutoverAt;
    const ranSince = awaitingCutover ? await ranSinceFreeze(ctx, record) : [];
    return verifyResult([
      ...(awaitingCutover
        ? [
            {
              name: "source databases stopped until the cutover",
              ok: ranSince.length === 0,
              detail: ranSince.join(", ") || undefined,
            },
          ]
        : []),
      {
        name: "final pass recorded",
        ok: passes.some((p) => p.kind === "final"),
        detail:
          passes
            .filter((p) => p.kind === "final")
            .map((p) => `pass ${p.pass}: exit ${p.code}, ${p.seconds} s`)
            .join("; ") || "none",
      },
      {
        name: "freeze window recorded",
        ok: typeof window === "number",
        detail: typeof window === "number" ? `${window} s` : "missing",
      },
      {
        name: "migration key removed from the source",
        ok: keyGone,
        detail: keyGone ? undefined : `${MIGRATION_DIR} still exists`,
      },
    ]);
  },
});

/**
 * The step as the plan runs it: under a cutover the source's databases stay stopped, so "start them again"
 * would be untrue there (found by a new-user trial). Titles are not journaled (steps are kept by id), so a
 * plan-dependent one changes nothing a resume reads.
 */
export function dbFreezeFor(plan: OvzPlan): typeof dbFreeze {
  return plan.options.cutover
    ? {
        ...dbFreeze,
        title: "Stop the databases, final copy, start them on the target only (the source's stay stopped)",
      }
    : dbFreeze;
}
