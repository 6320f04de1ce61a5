import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { cloneTargets, type CloneOptions } from "../plan/options/image-clone.js";

/**
 * What a finished clone run leaves: its clones, and the base made read-only under them, with the base's mode
 * as it is now (new-user trial 12: the end said only "Clones created after 5.2 s").
 */
export async function cloneSummary(plan: CloneOptions): Promise<string> {
  const clones = cloneTargets(plan).map((t) => t.path);
  const mode = await stat(plan.base).then(
    (s) => (s.mode & 0o7777).toString(8).padStart(3, "0"),
    () => undefined,
  );
  const readOnly = mode === undefined ? "read-only" : `read-only (mode ${mode})`;
  return (
    `clones of ${basename(plan.base)}: ${clones.join(", ")}\n` +
    `${plan.base} is now ${readOnly}, as is every file below it in its backing chain: start VMs on the clones only`
  );
}
