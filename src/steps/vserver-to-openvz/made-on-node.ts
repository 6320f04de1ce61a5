import type { Inventory, VsContext } from "./context.js";
import { VS_FACTS } from "./facts.js";

/** Journals the node path this migration is about to create, so a later probe knows it for its own. */
export async function recordMadeOnNode(ctx: VsContext, path: string): Promise<void> {
  const made = ctx.facts.get(VS_FACTS.madeOnNode) ?? [];
  if (!made.includes(path)) await ctx.facts.set(VS_FACTS.madeOnNode, [...made, path]);
}

/**
 * Whether this migration's journal shows that it made `path` on the node (its private area or CTID.conf).
 * Journals written before madeOnNode existed show it by what came after the creation: a finished copy made
 * the private area, finished fix-ups or a cutover followed the config.
 */
export function madeByThisMigration(ctx: VsContext, path: string): boolean {
  if (ctx.facts.get(VS_FACTS.madeOnNode)?.includes(path)) return true;
  const journaled: Inventory | undefined = ctx.facts.get(VS_FACTS.inventory);
  if (!journaled) return false;
  const conf = !!ctx.facts.get(VS_FACTS.fixups) || !!ctx.facts.get(VS_FACTS.cutoverAt);
  const copied = conf || !!ctx.facts.get(VS_FACTS.livePasses) || !!ctx.facts.get(VS_FACTS.finalSyncAt);
  return (path === journaled.privateDir && copied) || (path === journaled.confPath && conf);
}
