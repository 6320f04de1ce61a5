import { defineStep, verifyResult, type PlannedCommand } from "../../engine/step.js";
import { type Inventory, type VsContext, type VsPlan } from "./context.js";
import { gatherInventory, requireInventory } from "./inventory.js";
import { VS_FACTS } from "./facts.js";

export interface InventoryPlan {
  /** What run saves: the guest and node as the probe read them (null when a blocker stopped the reading). */
  inventory: Inventory | null;
  /** The read-only commands that produced it, shown so the admin sees where each value came from. */
  readWith: PlannedCommand[];
}

/** Step 1: read the guest's config and facts, choose the CTID, block on a taken CTID or address. */
export const inventoryStep = defineStep<VsPlan, InventoryPlan>({
  id: "inventory",
  title: "Read the VServer guest and check the OpenVZ node",
  destructive: false,
  async probe(ctx) {
    const { inventory, findings, commands, notes } = await gatherInventory(ctx);
    // An earlier run of this migration read the guest: the next steps go on with what it journaled.
    const journaled = ctx.facts.get(VS_FACTS.inventory);
    const services = (journaled ?? inventory)?.services ?? [];
    const details = inventory
      ? [
          `guest ${inventory.guest} (${inventory.release.pretty}, ${inventory.running ? "running" : "stopped"}) -> CTID ${inventory.ctid}`,
          `hostname ${inventory.hostname ?? "(none)"}, addresses ${inventory.ips.join(" ") || "(none)"}`,
          `copy ${inventory.vdir} -> ${inventory.privateDir} (${inventory.diskUsedKb ?? "?"} KiB)`,
          `services to find again: ${services.join(", ") || "(none recorded)"}${journaled?.running && services.length > 0 ? ` (recorded while ${journaled.guest} ran)` : ""}`,
          ...notes,
        ]
      : [];
    const facts = inventory
      ? {
          sourceGuest: {
            name: inventory.guest,
            release: inventory.release.pretty,
            running: inventory.running,
            context: inventory.context,
            hostname: inventory.hostname,
            addresses: inventory.ips,
            services,
            vdir: inventory.vdir,
          },
          targetContainer: {
            ctid: inventory.ctid,
            private: inventory.privateDir,
            config: inventory.confPath,
            ostemplate: inventory.osTemplate,
            sample: inventory.samplePath,
          },
          ...(inventory.diskUsedKb !== undefined ? { bytesToTransfer: inventory.diskUsedKb * 1024 } : {}),
        }
      : undefined;
    return {
      satisfied: !!journaled,
      reason: journaled ? "an earlier run of this migration read the guest: the next steps use its journal" : undefined,
      findings,
      details,
      facts,
      plan: { inventory, readWith: commands },
    };
  },
  commands: (plan) => plan.readWith.map((c) => ({ ...c, purpose: `read by the probe: ${c.purpose ?? ""}` })),
  async run(ctx, plan) {
    await ctx.facts.set(VS_FACTS.inventory, requireInventory(plan.inventory));
  },
  async verify(ctx) {
    const inventory = ctx.facts.get(VS_FACTS.inventory);
    return verifyResult([
      { name: "inventory saved", ok: !!inventory },
      {
        name: "container id chosen",
        ok: typeof inventory?.ctid === "number",
        detail: inventory ? `CTID ${inventory.ctid}` : undefined,
      },
    ]);
  },
});

/** The inventory the inventory step saved, or the one its probe read in this run (preflight, before it ran). */
export function currentInventory(ctx: VsContext): Inventory {
  return requireInventory(ctx.facts.get(VS_FACTS.inventory) ?? ctx.probedPlan(inventoryStep)?.inventory);
}
