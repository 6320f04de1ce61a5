import { posix } from "node:path";
import { defineStep, verifyResult } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { lockedRsync, runRsyncPass, shouldRunAnotherLivePass, type PassResult } from "../rsync/index.js";
import {
  COMPENSATION,
  guestRestartPending,
  restartGuestCommand,
  type Inventory,
  type VsContext,
  type VsPlan,
} from "./context.js";
import { guestRunning, guestStatusCommand } from "./inventory.js";
import { currentInventory } from "./read-inventory.js";
import { VSERVER_EXCLUDES, vserverRsyncCommand } from "./rsync.js";
import { containerRunning } from "./container-status.js";
import { VS_FACTS } from "./facts.js";
import { recordMadeOnNode } from "./made-on-node.js";

/** One copy of the guest into the node's private area, as planned. */
export interface CopyPlan {
  ctid: number;
  vdir: string;
  privateDir: string;
  mkdir: string;
  rsync: string;
}

const copyPlan = (ctx: VsContext, inventory: Inventory): CopyPlan => ({
  ctid: inventory.ctid,
  vdir: inventory.vdir,
  privateDir: inventory.privateDir,
  mkdir: mkdirPrivate(inventory),
  rsync: lockedRsync(
    rsyncLockFile(inventory.vdir),
    vserverRsyncCommand(ctx.plan, inventory.vdir, inventory.privateDir),
  ),
});

/** Beside the guest's root (never inside it: not copied): one lock per guest, so guests migrated at once never block each other. */
export const rsyncLockFile = (vdir: string): string =>
  `${posix.dirname(vdir.replace(/\/+$/, ""))}/.${posix.basename(vdir.replace(/\/+$/, ""))}.mudanza-rsync.lock`;

async function pass(ctx: VsContext, plan: CopyPlan, label: string): Promise<PassResult> {
  // Never copy over a container that runs: after the cutover its data is newer than the guest's.
  if (await containerRunning(ctx, plan.ctid))
    throw new Error(
      `container ${plan.ctid} is running on the node: copying ${plan.vdir} over it would lose what it wrote since the cutover`,
    );
  return runRsyncPass(ctx.host("source"), plan.rsync, label, {
    progress: (info) => ctx.progress(info),
    output: (line, stream) => ctx.output("source", line, stream),
    signal: ctx.signal,
  });
}

const mkdirPrivate = (inventory: Inventory): string => cmd("mkdir", "-p", inventory.privateDir);
const stopGuestCommand = (guest: string): string => cmd("vserver", guest, "stop");

/** Step 2: copy while the guest runs, until the changed data stops shrinking (vanished files are normal). */
export const liveSyncStep = defineStep<VsPlan, CopyPlan & { maxPasses: number }>({
  id: "sync-live",
  title: "Copy the guest to the node while it runs",
  destructive: false,
  changesWithoutAsking: "copies the running guest into /vz/private/CTID on the node",
  async probe(ctx) {
    const inventory = currentInventory(ctx);
    const plan = { ...copyPlan(ctx, inventory), maxPasses: ctx.plan.options.maxLivePasses };
    const facts = { excludes: VSERVER_EXCLUDES.map((e) => ({ path: e.pattern, reason: e.reason })) };
    if (!inventory.running)
      return {
        satisfied: true,
        reason: "the guest is stopped: the final pass copies everything",
        plan,
        findings: [],
        facts,
      };
    return {
      satisfied: false,
      plan,
      findings: [],
      facts,
      details: [`rsync exit 24 (files vanished while copying) is expected on a live pass`],
    };
  },
  commands: (plan) => [
    { host: "target", command: plan.mkdir, purpose: "the container's private area" },
    { host: "source", command: plan.rsync, purpose: `live pass (up to ${plan.maxPasses})` },
  ],
  async run(ctx, plan) {
    await recordMadeOnNode(ctx, plan.privateDir);
    await execOk(ctx.host("target"), plan.mkdir);
    const history: number[] = [];
    while (shouldRunAnotherLivePass(history, plan.maxPasses)) {
      const result = await pass(ctx, plan, `live pass ${history.length + 1}`);
      if (result.code !== 0 && !result.vanished) throw new Error(`live rsync pass failed: ${result.stderrTail}`);
      history.push(result.stats.transferredFileSize ?? 0);
      ctx.output(
        "source",
        `live pass ${history.length}: ${result.stats.transferredFileSize ?? "?"} bytes changed in ${result.seconds.toFixed(1)} s${result.vanished ? " (some files vanished: normal while running)" : ""}`,
      );
    }
    await ctx.facts.set(VS_FACTS.livePasses, history);
  },
  async verify(ctx) {
    const inventory = currentInventory(ctx);
    // A guest that was stopped at inventory time has no live pass: the final pass copies it all.
    if (!inventory.running)
      return verifyResult([{ name: "no live pass needed", ok: true, detail: `${inventory.guest} was stopped` }]);
    const dir = await ctx.host("target").stat(inventory.privateDir);
    return verifyResult([
      { name: "private area exists on the node", ok: dir?.type === "dir", detail: inventory.privateDir },
    ]);
  },
});

/**
 * Step 3 (gate): stop the guest and copy what changed. Stopped is a compensation: `vserver NAME start`
 * runs if anything fails before the container takes over (cleared at the cutover).
 */
export const finalSyncStep = defineStep<VsPlan, CopyPlan & { guest: string; stopGuest: boolean }>({
  id: "stop-and-final-sync",
  title: "Stop the VServer guest and run the final copy",
  destructive: true,
  async probe(ctx) {
    const inventory = currentInventory(ctx);
    const running = await guestRunning(ctx.host("source"), inventory.guest);
    // Stopped by an earlier run whose undo is pending: the run starts it first, so this pass stops it again.
    const startedFirst = !running && guestRestartPending(ctx);
    const details = [
      ...(startedFirst
        ? [
            `${inventory.guest} is stopped now: an earlier run of this migration stopped it and did not start it again (it was killed, or its undo failed); the run starts it first (its pending undo)`,
          ]
        : []),
      running || startedFirst
        ? `${inventory.guest} stops here and stays stopped; if a later step fails it is started again (\`vserver ${inventory.guest} start\`)`
        : `${inventory.guest} is already stopped`,
    ];
    return {
      satisfied: false,
      plan: { ...copyPlan(ctx, inventory), guest: inventory.guest, stopGuest: running || startedFirst },
      findings: [],
      details,
    };
  },
  commands: (plan) => [
    ...(plan.stopGuest
      ? [{ host: "source", command: stopGuestCommand(plan.guest), purpose: "no writes during the final pass" }]
      : []),
    { host: "target", command: plan.mkdir, purpose: "the container's private area" },
    { host: "source", command: plan.rsync, purpose: "final pass, guest stopped" },
  ],
  async run(ctx, plan) {
    const source = ctx.host("source");
    if (plan.stopGuest) {
      await ctx.compensations.register({
        id: COMPENSATION.restartGuest,
        title: `start the VServer guest ${plan.guest} again`,
        host: "source",
        command: restartGuestCommand(plan.guest),
        // the guest runs and writes again: the final pass must be made again, whatever stops it by then
        undoesStep: true,
      });
      await execOk(source, stopGuestCommand(plan.guest), { timeoutMs: 600_000 });
      if (await guestRunning(source, plan.guest))
        throw new Error(`${plan.guest} still runs after \`vserver ${plan.guest} stop\``);
      await ctx.facts.set(VS_FACTS.guestStoppedAt, new Date().toISOString());
    }
    await recordMadeOnNode(ctx, plan.privateDir);
    await execOk(ctx.host("target"), plan.mkdir);
    const result = await pass(ctx, plan, "final pass");
    if (result.code !== 0) throw new Error(`final rsync pass failed: ${result.stderrTail}`);
    await ctx.facts.set(VS_FACTS.finalSyncAt, new Date().toISOString());
  },
  async verify(ctx) {
    const inventory = currentInventory(ctx);
    const cutover = ctx.facts.get(VS_FACTS.cutoverAt);
    // After the cutover the container is the truth: a guest started again later must not trigger a new copy.
    if (cutover)
      return verifyResult([
        { name: "cutover done", ok: true, detail: `at ${cutover}; the container's data is authoritative` },
      ]);
    const stopped = (await ctx.host("source").exec(guestStatusCommand(inventory.guest))).code === 3;
    return verifyResult([
      {
        name: "guest stopped on the VServer host",
        ok: stopped,
        detail: stopped ? undefined : "it runs again: its files may have changed since the final pass",
      },
      { name: "final pass done", ok: !!ctx.facts.get(VS_FACTS.finalSyncAt) },
    ]);
  },
});
