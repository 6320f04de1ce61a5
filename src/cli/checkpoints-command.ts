import { backendFor, checkpointHostRole, connectCheckpointHosts } from "../checkpoints/index.js";
import { BadInputError } from "../errors.js";
import type { Host } from "../hosts/host.js";
import { journalStemFor } from "../journal/journal-file.js";
import { Journal } from "../journal/journal.js";
import { loadPlan } from "../plan/load.js";
import type { PlanOf } from "../plan/schema.js";
import {
  ownershipOf,
  recordedHere,
  recordedNotListed,
  removeByHand,
  type CheckpointPlace,
} from "../steps/checkpoints/ownership.js";
import { takenCheckpoints } from "../steps/rollback/context.js";
import type { CheckpointsDeleteOptions } from "./checkpoints-delete-command.js";
import { stateDirToRead } from "./state-dir.js";

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

/**
 * `mudanza checkpoints PLAN`: each side's checkpoints as its backend lists them, each said to be this migration's
 * or not as its journal records, then those its journal records that the backend no longer lists
 * (--delete: checkpoints-delete-command.ts). Returns the exit code.
 */
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
  // Whose each checkpoint is, by the journal (what --delete goes by): a name alone may be another migration's.
  const stateDir = stateDirToRead(options.stateDir);
  const journalPath = Journal.pathFor(stateDir, await journalStemFor(stateDir, loaded.migrationId, loaded.path));
  const journal = await Journal.read(journalPath);
  const taken = takenCheckpoints(journal?.facts ?? {});
  const hosts: Record<string, Host> = {};
  try {
    await connectCheckpointHosts(plan.checkpoints, hosts);
    const places: CheckpointPlace[] = [];
    for (const side of ["target", "source"] as const) {
      const config = plan.checkpoints[side];
      if (!config) continue;
      const backend = backendFor(config, hosts[checkpointHostRole(side)]);
      const place = { side, via: config.via, backend };
      places.push(place);
      const listed = await backend.list();
      process.stdout.write(`${side}: ${backend.label}\n`);
      for (const c of listed) {
        const owner = ownershipOf(c.name, place, taken, plan);
        const whose =
          owner.whose === "recorded"
            ? "  this migration's (recorded in its journal)"
            : owner.whose === "name-only"
              ? `  not this migration's (${owner.why})`
              : "";
        process.stdout.write(
          `  ${c.name}${c.takenAt ? `  ${c.takenAt}` : ""}${c.sizeBytes !== undefined ? `  ${c.sizeBytes} bytes` : ""}${whose}\n`,
        );
        if (owner.whose === "name-only")
          process.stdout.write(
            `    --delete leaves it; if you are sure it is this migration's, remove it by hand: ${removeByHand(place, c.name)}\n`,
          );
      }
      // Rollback cannot return to these: said here, not left to its refusal (found by a new-user trial).
      const gone = recordedNotListed(taken, place, listed);
      for (const c of gone)
        process.stdout.write(
          `  ${c.name}  recorded in its journal (taken ${c.takenAt}), not listed by the backend: deleted outside mudanza?\n`,
        );
      if (listed.length === 0 && gone.length === 0) process.stdout.write("  (none)\n");
    }
    // Recorded where the plan no longer points (a side it dropped, another backend): listed nowhere above, and
    // rollback refuses them until the plan names that place again (found by a new-user trial).
    const elsewhere = taken.filter((c) => !c.deletedAt && !places.some((place) => recordedHere(c, place)));
    if (elsewhere.length > 0) process.stdout.write("recorded in its journal where the plan no longer points:\n");
    for (const c of elsewhere)
      process.stdout.write(
        `  ${c.name} of the ${c.side} on ${c.label} (${c.via}, taken ${c.takenAt}): rollback returns to it only with the plan's checkpoints section as the migration ran with it\n`,
      );
    if (!journal)
      process.stdout.write(
        `no journal of this migration at ${journalPath}: none is recorded as its own (if its runs used --state-dir, pass the same one)\n`,
      );
    return 0;
  } finally {
    await Promise.all(Object.values(hosts).map((h) => h.close().catch(() => undefined)));
  }
}
