import type { Journal } from "../../journal/journal.js";
import { FACT, type CheckpointFact } from "../openvz-to-kvm/facts.js";
import type { CheckpointPurpose, CheckpointSide } from "../checkpoints/sides.js";

/** What every rollback step shares: the migration's journal (held locked for the whole rollback) and the chosen checkpoint. */
export interface RollbackTarget {
  migration: Journal;
  /** The checkpoint returned to: --to NAME, or the latest the migration took of the target. */
  name: string;
  purpose: CheckpointPurpose;
  /** The sides the migration took this checkpoint of (the target always; the source before the update). */
  sides: CheckpointSide[];
  /** The migration pipeline's step ids in order, and the first one the rollback undoes. */
  stepIds: string[];
  firstUndoneStep: string;
}

/** The checkpoints the migration journaled, newest last. */
export function takenCheckpoints(facts: Record<string, unknown>): CheckpointFact[] {
  const value = facts["checkpoints"];
  return Array.isArray(value) ? (value as CheckpointFact[]) : [];
}

/** Facts a rollback keeps: the checkpoints themselves, and what the steps before the copy found (the copy's checkpoint). */
const KEPT: Record<CheckpointPurpose, string[]> = {
  "before-copy": [
    "checkpoints",
    "preUpdate",
    "sourceRelease",
    "targetRelease",
    "targetIdentity",
    "vmBeforeCopy",
    "targetPackages",
    "sourceHostKeyFingerprints",
    "targetHostKeyFingerprints",
  ],
  "before-update": ["checkpoints"],
};

/**
 * Facts that describe work done after each checkpoint: dropped by the rollback, found again by the next run.
 * Every other fact of the pipeline, so a fact added later is dropped unless it is listed as kept.
 */
export const FACTS_AFTER: Record<CheckpointPurpose, string[]> = {
  "before-copy": Object.values(FACT).filter((key) => !KEPT["before-copy"].includes(key)),
  "before-update": Object.values(FACT).filter((key) => !KEPT["before-update"].includes(key)),
};
