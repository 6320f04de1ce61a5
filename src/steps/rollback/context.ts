import type { Journal } from "../../journal/journal.js";
import { OVZ_FACTS, type CheckpointFact } from "../openvz-to-kvm/facts.js";
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

/** The checkpoints the migration journaled, newest last, deleted ones included (they are its history). */
export function takenCheckpoints(facts: Record<string, unknown>): CheckpointFact[] {
  const value = facts["checkpoints"];
  return Array.isArray(value) ? (value as CheckpointFact[]) : [];
}

/** The checkpoints a rollback can return to: those the migration took and mudanza has not deleted since. */
export const liveCheckpoints = (facts: Record<string, unknown>): CheckpointFact[] =>
  takenCheckpoints(facts).filter((c) => !c.deletedAt);

/** The journal's checkpoints with those named (side and name) marked deleted now; the others as they were. */
export function markedDeleted(
  taken: CheckpointFact[],
  deleted: Array<Pick<CheckpointFact, "side" | "name">>,
  at = new Date().toISOString(),
): CheckpointFact[] {
  const hit = (c: CheckpointFact) => deleted.some((d) => d.side === c.side && d.name === c.name);
  return taken.map((c) => (!c.deletedAt && hit(c) ? { ...c, deletedAt: at } : c));
}

/**
 * Facts that describe work done after each checkpoint: dropped by the rollback, found again by the next run.
 * Every fact of the pipeline but those its declaration says a rollback to that checkpoint keeps (facts.ts).
 */
export const FACTS_AFTER: Record<CheckpointPurpose, string[]> = {
  "before-copy": factsDroppedBy("before-copy"),
  "before-update": factsDroppedBy("before-update"),
};

function factsDroppedBy(purpose: CheckpointPurpose): string[] {
  return Object.values(OVZ_FACTS)
    .filter((fact) => !fact.keptByRollbackTo.includes(purpose))
    .map((fact) => fact.key);
}
