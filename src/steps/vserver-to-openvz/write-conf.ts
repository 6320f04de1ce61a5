import { posix } from "node:path";
import { defineStep, verifyResult, writeFileCommand } from "../../engine/step.js";
import { execOk, readOptional } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { setVzConfValues, vzConfValues } from "../../openvz/vz-conf.js";
import type { Inventory, VsContext, VsPlan } from "./context.js";
import { currentInventory } from "./read-inventory.js";
import { recordMadeOnNode } from "./made-on-node.js";

/** vzctl writes CTID.conf as root, mode 0644 (world-readable: vzlist reads it as any user). */
export const CTID_CONF_MODE = 0o644;

/**
 * The config as vzctl create would leave it: the node's sample, then the mapped settings, except ONBOOT:
 * "no" until the cutover, so a node reboot mid-migration cannot start the container while the guest may be
 * started again (start-container sets the mapped value with `vzctl set --onboot --save`).
 */
export async function renderCtidConf(ctx: VsContext, inventory: Inventory): Promise<string> {
  const sample = inventory.samplePath ? await readOptional(ctx.host("target"), inventory.samplePath) : null;
  return setVzConfValues(
    sample ?? "",
    inventory.settings.map((s) => [s.key, s.key === "ONBOOT" ? "no" : s.value]),
  );
}

/** The ONBOOT the mapping wants once the container has taken over. */
export const onbootAfterCutover = (inventory: Inventory): string =>
  inventory.settings.find((s) => s.key === "ONBOOT")?.value ?? "no";

export interface WriteConfPlan {
  confPath: string;
  rootDir: string;
  /** The whole CTID.conf, rendered by the probe from the node's sample and the mapping. */
  content: string;
  samplePath?: string;
}

const mkdirCommand = (plan: WriteConfPlan): string => cmd("mkdir", "-p", posix.dirname(plan.confPath), plan.rootDir);

/** Step 4: write /etc/vz/conf/CTID.conf from the inventory through the mapping table. */
export const writeConfStep = defineStep<VsPlan, WriteConfPlan>({
  id: "write-ctid-conf",
  title: "Write the container's OpenVZ config",
  destructive: false,
  changesWithoutAsking: "writes /etc/vz/conf/CTID.conf on the node",
  async probe(ctx) {
    const inventory = currentInventory(ctx);
    const existing = await readOptional(ctx.host("target"), inventory.confPath);
    const satisfied = existing !== null && matches(existing, inventory);
    return {
      satisfied,
      reason: satisfied ? `${inventory.confPath} already holds these settings` : undefined,
      plan: {
        confPath: inventory.confPath,
        rootDir: inventory.rootDir,
        content: await renderCtidConf(ctx, inventory),
        samplePath: inventory.samplePath,
      },
      findings: [],
      details: inventory.settings.map((s) =>
        // "no" stays "no": said as one value (new-user trial 10: 'ONBOOT="no" until the cutover, then "no"').
        s.key === "ONBOOT" && s.value !== "no"
          ? `ONBOOT="no" until the cutover, then "${s.value}"  <- ${s.from}: ${s.why}`
          : `${s.key}="${s.value}"  <- ${s.from}: ${s.why}`,
      ),
    };
  },
  commands: (plan) => [
    { host: "target", command: mkdirCommand(plan), purpose: "config directory and VE_ROOT mount point" },
    {
      host: "target",
      command: writeFileCommand(plan.confPath, `mode 0644, from ${plan.samplePath ?? "no sample"}`),
      purpose: "container config",
    },
  ],
  async run(ctx, plan) {
    const target = ctx.host("target");
    await recordMadeOnNode(ctx, plan.confPath);
    await execOk(target, mkdirCommand(plan));
    await target.writeFile(plan.confPath, plan.content, { mode: CTID_CONF_MODE });
  },
  async verify(ctx) {
    const inventory = currentInventory(ctx);
    const target = ctx.host("target");
    const text = await readOptional(target, inventory.confPath);
    const stat = await target.stat(inventory.confPath);
    return verifyResult([
      { name: "CTID.conf exists", ok: text !== null, detail: inventory.confPath },
      { name: "mapped settings present", ok: text !== null && matches(text, inventory) },
      {
        name: "mode 0644, owned by root",
        ok: stat !== null && stat.mode === CTID_CONF_MODE && stat.uid === 0 && stat.gid === 0,
        detail: stat ? `${stat.mode.toString(8)} ${stat.uid}:${stat.gid}` : undefined,
      },
    ]);
  },
});

/** Later `vzctl set --save` may change limits; only the settings we own must still be there. */
function matches(text: string, inventory: Inventory): boolean {
  const values = vzConfValues(text);
  return ["VE_PRIVATE", "IP_ADDRESS", "HOSTNAME"].every((key) => {
    const wanted = inventory.settings.find((s) => s.key === key);
    return !wanted || values[key] === wanted.value;
  });
}
