import { verifyResult, type Step } from "../../engine/step.js";
import { FACT, type Inventory, type VsPlan } from "./context.js";
import { gatherFresh, latestGathered } from "./inventory.js";

/** Step 1: read the guest's config and facts, choose the CTID, block on a taken CTID or address. */
export const inventoryStep: Step<VsPlan> = {
  id: "inventory",
  title: "Read the VServer guest and check the OpenVZ node",
  destructive: false,
  async probe(ctx) {
    const { inventory, findings, commands } = await gatherFresh(ctx);
    const details = inventory
      ? [
          `guest ${inventory.guest} (${inventory.release.pretty}, ${inventory.running ? "running" : "stopped"}) -> CTID ${inventory.ctid}`,
          `hostname ${inventory.hostname ?? "(none)"}, addresses ${inventory.ips.join(" ") || "(none)"}`,
          `copy ${inventory.vdir} -> ${inventory.privateDir} (${inventory.diskUsedKb ?? "?"} KiB)`,
          `services to find again: ${inventory.services.join(", ") || "(none recorded)"}`,
        ]
      : [];
    const facts = inventory
      ? {
          sourceGuest: { name: inventory.guest, release: inventory.release.pretty, running: inventory.running, context: inventory.context, hostname: inventory.hostname, addresses: inventory.ips, services: inventory.services, vdir: inventory.vdir },
          targetContainer: { ctid: inventory.ctid, private: inventory.privateDir, config: inventory.confPath, ostemplate: inventory.osTemplate, sample: inventory.samplePath },
          ...(inventory.diskUsedKb !== undefined ? { bytesToTransfer: inventory.diskUsedKb * 1024 } : {}),
        }
      : undefined;
    return { satisfied: false, commands, findings, details, facts };
  },
  async run(ctx) {
    // The runner probed this step just before: reuse that answer rather than walk the guest (du) again.
    const { inventory, findings } = await latestGathered(ctx);
    if (!inventory) throw new Error(findings.map((f) => `${f.title}: ${f.summary}`).join("; "));
    await ctx.facts.set(FACT.inventory, inventory);
  },
  async verify(ctx) {
    const inventory = ctx.facts.get<Inventory>(FACT.inventory);
    return verifyResult([
      { name: "inventory saved", ok: !!inventory },
      { name: "container id chosen", ok: typeof inventory?.ctid === "number", detail: inventory ? `CTID ${inventory.ctid}` : undefined },
    ]);
  },
};
