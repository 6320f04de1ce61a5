import { cmd } from "../../hosts/quote.js";
import type { VsContext } from "./context.js";

export const vzStatusCommand = (ctid: number): string => cmd("vzctl", "status", ctid);

/** `vzctl status` prints "CTID 101 exist mounted running" (or "deleted unmounted down"). */
export async function containerRunning(ctx: VsContext, ctid: number): Promise<boolean> {
  const result = await ctx.host("target").exec(vzStatusCommand(ctid));
  return result.code === 0 && /\srunning\b/.test(result.stdout);
}
