import { posix } from "node:path";
import { defineStep, verifyResult } from "../../engine/step.js";
import { applyChange, changeCommands, planFixups, type FixupTree, type PlannedFixup } from "../../vserver/fixups.js";
import { FIXUP_BACKUP_REL, type Inventory, type VsContext, type VsPlan } from "./context.js";
import { currentInventory } from "./read-inventory.js";
import { VS_FACTS } from "./facts.js";

/** After the final pass the node's copy is fixed; before it (preflight), the source tree shows what will change. */
async function tree(ctx: VsContext, inventory: Inventory): Promise<FixupTree & { copied: boolean }> {
  const copied =
    !!ctx.facts.get(VS_FACTS.finalSyncAt) && (await ctx.host("target").stat(inventory.privateDir))?.type === "dir";
  return copied
    ? {
        host: ctx.host("target"),
        root: inventory.privateDir,
        release: inventory.release,
        nisDomain: inventory.nisDomain,
        copied,
      }
    : {
        host: ctx.host("source"),
        root: inventory.vdir,
        release: inventory.release,
        nisDomain: inventory.nisDomain,
        copied,
      };
}

export interface FixupPlan {
  /** False in a preflight before the final pass: the changes were read from the source tree, not applied yet. */
  copied: boolean;
  privateDir: string;
  backupDir: string;
  fixups: PlannedFixup[];
}

/** Step 5: make the copied tree boot as a container; every change backed up and listed with its reason. */
export const fixupStep = defineStep<VsPlan, FixupPlan>({
  id: "fixup-guest",
  title: "Fix up the guest for OpenVZ",
  destructive: false,
  changesWithoutAsking: "rewrites fstab, network config and device nodes in the container's private area on the node",
  async probe(ctx) {
    const inventory = currentInventory(ctx);
    const where = await tree(ctx, inventory);
    const fixups = await planFixups(where);
    const details = fixups.map(
      (f) =>
        `${f.id}: ${f.changes.length === 0 ? "nothing to do" : f.changes.map((c) => `${c.path} (${c.detail})`).join("; ")} — why: ${f.why}`,
    );
    if (!where.copied)
      details.unshift(
        `read from the source tree ${inventory.vdir}; applied to ${inventory.privateDir} after the final pass`,
      );
    const total = fixups.reduce((n, f) => n + f.changes.length, 0);
    const plan: FixupPlan = {
      copied: where.copied,
      privateDir: inventory.privateDir,
      backupDir: posix.join(inventory.privateDir, FIXUP_BACKUP_REL),
      fixups,
    };
    return {
      satisfied: where.copied && total === 0,
      reason: total === 0 ? "the guest needs no fix-ups" : undefined,
      plan,
      findings: [],
      details,
    };
  },
  commands: (plan) =>
    plan.fixups.flatMap((f) =>
      f.changes.flatMap((c) =>
        changeCommands(plan.privateDir, plan.backupDir, c).map((command) => ({
          host: "target",
          command,
          purpose: f.id,
        })),
      ),
    ),
  async run(ctx, plan) {
    if (!plan.copied) throw new Error(`${plan.privateDir} is not there yet: the final pass must run first`);
    for (const fixup of plan.fixups) {
      for (const change of fixup.changes) {
        await applyChange(ctx.host("target"), plan.privateDir, plan.backupDir, change);
        ctx.output(
          "target",
          `${fixup.id}: ${change.path}: ${change.detail} (why: ${fixup.why}; original in ${plan.backupDir})`,
        );
      }
    }
    const applied = plan.fixups
      .filter((f) => f.changes.length > 0)
      .map((f) => ({ id: f.id, title: f.title, why: f.why, changes: f.changes.map((c) => `${c.path}: ${c.detail}`) }));
    await ctx.facts.set(VS_FACTS.fixups, { backupDir: plan.backupDir, applied });
  },
  async verify(ctx) {
    const inventory = currentInventory(ctx);
    const where = await tree(ctx, inventory);
    const planned = where.copied ? await planFixups(where) : [];
    return verifyResult([
      { name: "guest copied to the node", ok: where.copied },
      // Named with the reason, so the run's report lists every fix-up and why it exists.
      ...planned.map((f) => ({
        name: `${f.id}: ${f.title}`,
        ok: f.changes.length === 0,
        detail: f.changes.length === 0 ? f.why : `still to change: ${f.changes.map((c) => c.path).join(", ")}`,
      })),
    ]);
  },
});
