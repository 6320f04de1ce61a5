import { cmd } from "../hosts/quote.js";
import type { JournalData } from "./journal.js";

/**
 * The migration journal's record of a rollback that has reverted a side and not yet rewound the journal
 * (revert-side.ts writes it, reset-journal.ts drops it). Read without zod: `status` and `run`'s refusal use it.
 */
export const ROLLBACK_UNDER_WAY = "rollbackUnderWay";

export interface RollbackUnderWay<Side extends string = string> {
  checkpoint: string;
  /** The sides the migration took this checkpoint of: those the rollback returns. */
  sides: Side[];
  /** The sides already returned to it, each with when. */
  reverted: Array<{ side: Side; at: string }>;
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

/** The rollback the facts say is under way with at least one side reverted, or undefined. */
export function rollbackUnderWay(facts: Readonly<Record<string, unknown>>): RollbackUnderWay | undefined {
  const value = facts[ROLLBACK_UNDER_WAY] as Partial<RollbackUnderWay> | undefined;
  if (typeof value !== "object" || value === null || typeof value.checkpoint !== "string") return undefined;
  if (!isStrings(value.sides) || !Array.isArray(value.reverted)) return undefined;
  const reverted = value.reverted.filter(
    (r): r is { side: string; at: string } => typeof r?.side === "string" && typeof r.at === "string",
  );
  return reverted.length > 0 ? { checkpoint: value.checkpoint, sides: value.sides, reverted } : undefined;
}

/** The record after `side` was returned to `checkpoint` now: a rollback to another checkpoint starts a new one. */
export function withReverted<Side extends string>(
  earlier: RollbackUnderWay | undefined,
  checkpoint: string,
  sides: readonly Side[],
  side: Side,
  at = new Date().toISOString(),
): RollbackUnderWay<Side> {
  const ofThisRollback = (r: { side: string; at: string }): r is { side: Side; at: string } =>
    r.side !== side && sides.some((s) => s === r.side);
  const kept = earlier?.checkpoint === checkpoint ? earlier.reverted.filter(ofThisRollback) : [];
  return { checkpoint, sides: [...sides], reverted: [...kept, { side, at }] };
}

/**
 * What the rollback has done and what it has not, in a sentence: which side is at the checkpoint, which is
 * not (the two hosts are then at different points in time), and that the migration's journal is not rewound.
 */
export function rollbackUnderWayText(r: RollbackUnderWay): string {
  const done = r.reverted.map((x) => x.side);
  const notYet = r.sides.filter((s) => !done.includes(s));
  const returned = r.reverted.map((x) => `the ${x.side} was returned to checkpoint ${r.checkpoint} at ${x.at}`);
  const apart =
    notYet.length > 0 ? `; the ${notYet.join(" and the ")} was not: the hosts are at different points in time` : "";
  return `a rollback is unfinished: ${returned.join("; ")}${apart}; the migration's journal was not rewound to the checkpoint (what the migration had stopped may not have been started again)`;
}

/** The migration journal's unfinished rollback, for readers of a raw journal. */
export const unfinishedRollbackOf = (journal: Readonly<JournalData>): RollbackUnderWay | undefined =>
  rollbackUnderWay(journal.facts);

/** The command that finishes it (without --state-dir: resumeCommandIn points it at the journal's). */
export const finishRollbackCommand = (planPath: string, r: RollbackUnderWay): string =>
  cmd("mudanza", "rollback", planPath, "--to", r.checkpoint);
