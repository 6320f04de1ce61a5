import { backendFor, checkpointHostRole, connectCheckpointHosts } from "../checkpoints/index.js";
import { BadInputError } from "../errors.js";
import type { Host } from "../hosts/host.js";
import { loadPlan } from "../plan/load.js";
import type { PlanOf } from "../plan/schema.js";
import { nameFor } from "../steps/checkpoints/sides.js";

/** `mudanza checkpoints PLAN [--delete]`: each side's checkpoints as its backend lists them. Returns the exit code. */
export async function checkpointsCommand(planPath: string, options: { delete?: boolean } = {}): Promise<number> {
  const loaded = await loadPlan(planPath);
  // The same words as rollback's: a vserver-to-openvz plan has no checkpoints section to add
  if (loaded.plan.kind !== "openvz-to-kvm")
    throw new BadInputError(
      `${loaded.path}: checkpoints apply to openvz-to-kvm migrations (this plan is ${loaded.plan.kind})`,
    );
  const plan = loaded.plan as PlanOf<"openvz-to-kvm">;
  if (!plan.checkpoints || (!plan.checkpoints.target && !plan.checkpoints.source))
    throw new BadInputError(`${loaded.path}: the plan names no checkpoints (see \`mudanza plan openvz-to-kvm\`)`);
  const hosts: Record<string, Host> = {};
  try {
    await connectCheckpointHosts(plan.checkpoints, hosts);
    for (const side of ["target", "source"] as const) {
      const config = plan.checkpoints[side];
      if (!config) continue;
      const backend = backendFor(config, hosts[checkpointHostRole(side)]);
      let listed = await backend.list();
      // Only this migration's checkpoints: a snapshot the admin (or another migration) took stays.
      if (options.delete) {
        const own = [nameFor(plan, "before-update"), nameFor(plan, "before-copy")];
        for (const c of listed.filter((l) => own.includes(l.name))) {
          await backend.remove(c.name);
          process.stdout.write(`${side}: deleted ${c.name}\n`);
        }
        listed = await backend.list();
      }
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
