import { posix } from "node:path";
import { verifyResult, type Step } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import type { VsContext, VsPlan } from "./context.js";
import { currentInventory, guestStatusCommand, requireInventory } from "./inventory.js";

/** util-vserver's initscript starts the guests whose apps/init/mark matches; moving the file aside keeps it. */
const markPaths = async (ctx: VsContext) => {
  const inventory = requireInventory(await currentInventory(ctx));
  const mark = posix.join(inventory.confDir, "apps/init/mark");
  return { inventory, mark, saved: `${mark}.mudanza-disabled` };
};

/** Step 7: the VServer guest stays stopped and is no longer started at boot (unless keepGuestOnBoot). */
export const disableGuestStep: Step<VsPlan> = {
  id: "disable-guest",
  title: "Keep the VServer guest from starting at boot",
  destructive: false,
  skip: (ctx) => (ctx.plan.options.keepGuestOnBoot ? "keepGuestOnBoot: the guest stays marked to start at boot (it is stopped now)" : undefined),
  async probe(ctx) {
    const { mark, saved } = await markPaths(ctx);
    const present = (await ctx.host("source").stat(mark)) !== null;
    return {
      satisfied: !present,
      reason: present ? undefined : "the guest has no apps/init/mark: the host does not start it at boot",
      commands: present ? [{ host: "source", command: cmd("mv", mark, saved), purpose: "unmark it; `mv` back to undo" }] : [],
      findings: [],
    };
  },
  async run(ctx) {
    const { mark, saved } = await markPaths(ctx);
    await execOk(ctx.host("source"), cmd("mv", mark, saved));
  },
  async verify(ctx) {
    const { inventory, mark } = await markPaths(ctx);
    const source = ctx.host("source");
    const stopped = (await source.exec(guestStatusCommand(inventory.guest))).code === 3;
    return verifyResult([
      { name: "no boot mark", ok: (await source.stat(mark)) === null, detail: mark },
      { name: "guest stopped", ok: stopped },
    ]);
  },
};
