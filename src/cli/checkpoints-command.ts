import { backendFor, checkpointHostRole, connectCheckpointHosts } from "../checkpoints/index.js";
import { BadInputError } from "../errors.js";
import type { Host } from "../hosts/host.js";
import { journalStemFor } from "../journal/journal-file.js";
import { Journal } from "../journal/journal.js";
import { loadPlan } from "../plan/load.js";
import type { PlanOf } from "../plan/schema.js";
import { CHECKPOINTS_LISTING_VERSION, type CheckpointsListing } from "./checkpoints-listing.js";
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
  /** The listing as text, or as one JSON document (as `runs --format json`). */
  format?: "text" | "json";
}

function renderListing(listing: CheckpointsListing, journalPath: string): string {
  const out: string[] = [];
  for (const side of listing.sides) {
    out.push(`${side.side}: ${side.backend}`);
    for (const c of side.checkpoints) {
      const whose =
        c.whose === "recorded"
          ? "  this migration's (recorded in its journal)"
          : c.whose === "name-only"
            ? `  not this migration's (${c.why})`
            : "";
      out.push(
        `  ${c.name}${c.takenAt ? `  ${c.takenAt}` : ""}${c.sizeBytes !== null ? `  ${c.sizeBytes} bytes` : ""}${whose}`,
      );
      if (c.whose === "name-only")
        out.push(
          `    --delete leaves it; if you are sure it is this migration's, remove it by hand: ${c.removeByHand}`,
        );
    }
    for (const c of side.recordedNotListed)
      out.push(
        `  ${c.name}  recorded in its journal (taken ${c.takenAt}), not listed by the backend: deleted outside mudanza?`,
      );
    if (side.checkpoints.length === 0 && side.recordedNotListed.length === 0) out.push("  (none)");
  }
  if (listing.recordedElsewhere.length > 0) out.push("recorded in its journal where the plan no longer points:");
  for (const c of listing.recordedElsewhere)
    out.push(
      `  ${c.name} of the ${c.side} on ${c.backend} (${c.via}, taken ${c.takenAt}): rollback returns to it only with the plan's checkpoints section as the migration ran with it`,
    );
  if (!listing.journal)
    out.push(
      `no journal of this migration at ${journalPath}: none is recorded as its own (if its runs used --state-dir, pass the same one)`,
    );
  return out.map((line) => `${line}\n`).join("");
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
  if (options.json && !options.delete)
    throw new BadInputError(
      "--json prints the NDJSON events of --delete; the listing is one JSON document with --format json",
    );
  const misplaced = DELETE_ONLY.find(([key]) => options[key] && !options.delete);
  if (misplaced) throw new BadInputError(`${misplaced[1]} applies to --delete (without it the command only lists)`);
  if (options.delete && options.format)
    throw new BadInputError("--format is the listing's; with --delete, --json prints its events as NDJSON");
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
    const listing: CheckpointsListing = {
      version: CHECKPOINTS_LISTING_VERSION,
      plan: loaded.path,
      journal: journal ? journalPath : null,
      sides: [],
      recordedElsewhere: [],
    };
    const places: CheckpointPlace[] = [];
    for (const side of ["target", "source"] as const) {
      const config = plan.checkpoints[side];
      if (!config) continue;
      const backend = backendFor(config, hosts[checkpointHostRole(side)]);
      const place = { side, via: config.via, backend };
      places.push(place);
      const listed = await backend.list();
      listing.sides.push({
        side,
        backend: backend.label,
        checkpoints: listed.map((c) => {
          const owner = ownershipOf(c.name, place, taken, plan);
          const seen = { name: c.name, takenAt: c.takenAt ?? null, sizeBytes: c.sizeBytes ?? null };
          return owner.whose === "name-only"
            ? { ...seen, whose: owner.whose, why: owner.why, removeByHand: removeByHand(place, c.name) }
            : { ...seen, whose: owner.whose };
        }),
        // Rollback cannot return to these: said here, not left to its refusal (found by a new-user trial).
        recordedNotListed: recordedNotListed(taken, place, listed).map((c) => ({ name: c.name, takenAt: c.takenAt })),
      });
    }
    // Recorded where the plan no longer points (a side it dropped, another backend): listed nowhere above, and
    // rollback refuses them until the plan names that place again (found by a new-user trial).
    listing.recordedElsewhere = taken
      .filter((c) => !c.deletedAt && !places.some((place) => recordedHere(c, place)))
      .map((c) => ({ name: c.name, side: c.side, backend: c.label, via: c.via, takenAt: c.takenAt }));
    process.stdout.write(
      options.format === "json" ? JSON.stringify(listing, null, 2) + "\n" : renderListing(listing, journalPath),
    );
    return 0;
  } finally {
    await Promise.all(Object.values(hosts).map((h) => h.close().catch(() => undefined)));
  }
}
