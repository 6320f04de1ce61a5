import { posix } from "node:path";
import { defineStep, verifyResult } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import type { VsContext, VsPlan } from "./context.js";
import { guestStatusCommand } from "./inventory.js";
import { currentInventory } from "./read-inventory.js";

/** util-vserver's initscript starts the guests whose apps/init/mark matches; moving the file aside keeps it. */
const markPaths = (ctx: VsContext) => {
  const inventory = currentInventory(ctx);
  const mark = posix.join(inventory.confDir, "apps/init/mark");
  return { inventory, mark, saved: `${mark}.mudanza-disabled` };
};

/** Step 7: the VServer guest stays stopped and is no longer started at boot (unless keepGuestOnBoot). */
export const disableGuestStep = defineStep<VsPlan, { mark: string; saved: string } | null>({
  id: "disable-guest",
  title: "Keep the VServer guest from starting at boot",
  destructive: false,
  changesWithoutAsking: "renames the guest's boot mark on the VServer host (mv)",
  skip: (ctx) =>
    ctx.plan.options.keepGuestOnBoot
      ? "keepGuestOnBoot: the guest stays marked to start at boot (it is stopped now)"
      : undefined,
  async probe(ctx) {
    const { mark, saved } = markPaths(ctx);
    const present = (await ctx.host("source").stat(mark)) !== null;
    return {
      satisfied: !present,
      reason: present ? undefined : "the guest has no apps/init/mark: the host does not start it at boot",
      plan: present ? { mark, saved } : null,
      findings: [],
    };
  },
  commands: (plan) =>
    plan
      ? [{ host: "source", command: cmd("mv", plan.mark, plan.saved), purpose: "unmark it; `mv` back to undo" }]
      : [],
  async run(ctx, plan) {
    if (plan) await execOk(ctx.host("source"), cmd("mv", plan.mark, plan.saved));
  },
  async verify(ctx) {
    const { inventory, mark } = markPaths(ctx);
    const source = ctx.host("source");
    const stopped = (await source.exec(guestStatusCommand(inventory.guest))).code === 3;
    return verifyResult([
      { name: "no boot mark", ok: (await source.stat(mark)) === null, detail: mark },
      { name: "guest stopped", ok: stopped },
    ]);
  },
});
