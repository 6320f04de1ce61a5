import { posix } from "node:path";
import { verifyResult, type Step } from "../../engine/step.js";
import { applyChange, changeCommands, planFixups, type FixupTree } from "../../vserver/fixups.js";
import { FACT, FIXUP_BACKUP_REL, type Inventory, type VsContext, type VsPlan } from "./context.js";
import { currentInventory, requireInventory } from "./inventory.js";

/** After the final pass the node's copy is fixed; before it (preflight), the source tree shows what will change. */
async function tree(ctx: VsContext, inventory: Inventory): Promise<FixupTree & { copied: boolean }> {
  const copied = !!ctx.facts.get(FACT.finalSyncAt) && (await ctx.host("target").stat(inventory.privateDir))?.type === "dir";
  return copied
    ? { host: ctx.host("target"), root: inventory.privateDir, release: inventory.release, nisDomain: inventory.nisDomain, copied }
    : { host: ctx.host("source"), root: inventory.vdir, release: inventory.release, nisDomain: inventory.nisDomain, copied };
}

/** Step 5: make the copied tree boot as a container; every change backed up and listed with its reason. */
export const fixupStep: Step<VsPlan> = {
  id: "fixup-guest",
  title: "Fix up the guest for OpenVZ",
  destructive: false,
  async probe(ctx) {
    const inventory = requireInventory(await currentInventory(ctx));
    const where = await tree(ctx, inventory);
    const planned = await planFixups(where);
    const backupDir = posix.join(inventory.privateDir, FIXUP_BACKUP_REL);
    const commands = planned.flatMap((f) => f.changes.flatMap((c) => changeCommands(inventory.privateDir, backupDir, c).map((command) => ({ host: "target", command, purpose: f.id }))));
    const details = planned.map((f) => `${f.id}: ${f.changes.length === 0 ? "nothing to do" : f.changes.map((c) => `${c.path} (${c.detail})`).join("; ")} — why: ${f.why}`);
    if (!where.copied) details.unshift(`read from the source tree ${inventory.vdir}; applied to ${inventory.privateDir} after the final pass`);
    const total = planned.reduce((n, f) => n + f.changes.length, 0);
    return { satisfied: where.copied && total === 0, reason: total === 0 ? "the guest needs no fix-ups" : undefined, commands, findings: [], details };
  },
  async run(ctx) {
    const inventory = requireInventory(await currentInventory(ctx));
    const where = await tree(ctx, inventory);
    if (!where.copied) throw new Error(`${inventory.privateDir} is not there yet: the final pass must run first`);
    const backupDir = posix.join(inventory.privateDir, FIXUP_BACKUP_REL);
    const planned = await planFixups(where);
    for (const fixup of planned) {
      for (const change of fixup.changes) {
        await applyChange(where.host, inventory.privateDir, backupDir, change);
        ctx.output("target", `${fixup.id}: ${change.path}: ${change.detail} (why: ${fixup.why}; original in ${backupDir})`);
      }
    }
    const applied = planned.filter((f) => f.changes.length > 0).map((f) => ({ id: f.id, title: f.title, why: f.why, changes: f.changes.map((c) => `${c.path}: ${c.detail}`) }));
    await ctx.facts.set(FACT.fixups, { backupDir, applied });
  },
  async verify(ctx) {
    const inventory = requireInventory(await currentInventory(ctx));
    const where = await tree(ctx, inventory);
    const planned = where.copied ? await planFixups(where) : [];
    return verifyResult([
      { name: "guest copied to the node", ok: where.copied },
      // Named with the reason, so the run's report lists every fix-up and why it exists.
      ...planned.map((f) => ({ name: `${f.id}: ${f.title}`, ok: f.changes.length === 0, detail: f.changes.length === 0 ? f.why : `still to change: ${f.changes.map((c) => c.path).join(", ")}` })),
    ]);
  },
};
