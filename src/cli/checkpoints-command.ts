import { backendFor, checkpointHostRole, connectCheckpointHosts } from "../checkpoints/index.js";
import { BadInputError } from "../errors.js";
import type { Host } from "../hosts/host.js";
import { loadPlan } from "../plan/load.js";
import type { PlanOf } from "../plan/schema.js";
import type { CheckpointsDeleteOptions } from "./checkpoints-delete-command.js";

export interface CheckpointsCommandOptions extends CheckpointsDeleteOptions {
  delete?: boolean;
}

/** The flags that only mean something with --delete: listing changes nothing and asks nothing. */
const DELETE_ONLY: Array<[keyof CheckpointsDeleteOptions, string]> = [
  ["yes", "--yes"],
  ["dryRun", "--dry-run"],
  ["json", "--json"],
  ["evenIfUnfinished", "--even-if-unfinished"],
];

/** `mudanza checkpoints PLAN`: each side's checkpoints as its backend lists them (--delete: checkpoints-delete-command.ts). Returns the exit code. */
export async function checkpointsCommand(planPath: string, options: CheckpointsCommandOptions = {}): Promise<number> {
  const misplaced = DELETE_ONLY.find(([key]) => options[key] && !options.delete);
  if (misplaced) throw new BadInputError(`${misplaced[1]} applies to --delete (without it the command only lists)`);
  const loaded = await loadPlan(planPath);
  // The same words as rollback's: a vserver-to-openvz plan has no checkpoints section to add
  if (loaded.plan.kind !== "openvz-to-kvm")
    throw new BadInputError(
      `${loaded.path}: checkpoints apply to openvz-to-kvm migrations (this plan is ${loaded.plan.kind})`,
    );
  const plan = loaded.plan as PlanOf<"openvz-to-kvm">;
  if (!plan.checkpoints || (!plan.checkpoints.target && !plan.checkpoints.source))
    throw new BadInputError(`${loaded.path}: the plan names no checkpoints (see \`mudanza plan openvz-to-kvm\`)`);
  if (options.delete) {
    const { checkpointsDeleteCommand } = await import("./checkpoints-delete-command.js");
    return checkpointsDeleteCommand(loaded, planPath, options);
  }
  const hosts: Record<string, Host> = {};
  try {
    await connectCheckpointHosts(plan.checkpoints, hosts);
    for (const side of ["target", "source"] as const) {
      const config = plan.checkpoints[side];
      if (!config) continue;
      const backend = backendFor(config, hosts[checkpointHostRole(side)]);
      const listed = await backend.list();
      process.stdout.write(`${side}: ${backend.label}\n`);
      for (const c of listed)
        process.stdout.write(
          `  ${c.name}${c.takenAt ? `  ${c.takenAt}` : ""}${c.sizeBytes !== undefined ? `  ${c.sizeBytes} bytes` : ""}\n`,
        );
      if (listed.length === 0) process.stdout.write("  (none)\n");
    }
    return 0;
  } finally {
    await Promise.all(Object.values(hosts).map((h) => h.close().catch(() => undefined)));
  }
}
