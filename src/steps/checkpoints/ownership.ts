import { checkpointHostRole, type CheckpointBackend } from "../../checkpoints/index.js";
import { warning, type Finding } from "../../engine/finding.js";
import type { CheckpointConfig } from "../../plan/checkpoints.js";
import type { CheckpointFact } from "../openvz-to-kvm/facts.js";
import type { OvzPlan } from "../openvz-to-kvm/plan.js";
import { nameFor, type CheckpointSide } from "./sides.js";

/** Where the plan has a side's checkpoints now: a journal record must name the same to be one of them. */
export interface CheckpointPlace {
  side: CheckpointSide;
  via: CheckpointConfig["via"];
  backend: Pick<CheckpointBackend, "label" | "removeCommands">;
}

/**
 * Whose a checkpoint its backend lists is. Only the migration's journal says: two plan files with the same
 * `name` are two migrations whose checkpoints have the same names, and one's may be the other's way back.
 */
export type Ownership =
  { whose: "recorded"; fact: CheckpointFact } | { whose: "name-only"; why: string } | { whose: "other" };

/** The checkpoint names the plan gives its migration's checkpoints. */
const namesOf = (plan: OvzPlan): string[] => [nameFor(plan, "before-update"), nameFor(plan, "before-copy")];

/** The journal records `c` as taken (or adopted) through this side and backend (its label names the domain and host). */
export const recordedHere = (c: CheckpointFact, place: CheckpointPlace): boolean =>
  c.side === place.side && c.via === place.via && c.label === place.backend.label;

/**
 * The checkpoints the journal still offers rollback on this side and backend that its listing lacks: deleted
 * outside mudanza, or a listing that came back short. Rollback cannot return to them.
 */
export const recordedNotListed = (
  taken: CheckpointFact[],
  place: CheckpointPlace,
  listed: Array<{ name: string }>,
): CheckpointFact[] =>
  taken.filter((c) => !c.deletedAt && recordedHere(c, place) && !listed.some((l) => l.name === c.name));

/** `taken`: every checkpoint the journal records, deleted ones included (they say why a same-named one is not its own). */
export function ownershipOf(name: string, place: CheckpointPlace, taken: CheckpointFact[], plan: OvzPlan): Ownership {
  const same = taken.filter((c) => c.name === name && c.side === place.side);
  const fact = same.find((c) => !c.deletedAt && recordedHere(c, place));
  if (fact) return { whose: "recorded", fact };
  if (same.length === 0 && !namesOf(plan).includes(name)) return { whose: "other" };
  const deleted = same.find((c) => c.deletedAt && recordedHere(c, place));
  const elsewhere = same.find((c) => !c.deletedAt);
  const why = deleted
    ? `its journal has the one it took deleted at ${deleted.deletedAt}`
    : elsewhere
      ? `its journal records ${name} of the ${place.side} on ${elsewhere.label}, not on ${place.backend.label}`
      : "not in its journal";
  return { whose: "name-only", why };
}

/** The backend's own commands that remove `name`, quoted for a message. */
export const removeByHand = (place: CheckpointPlace, name: string): string =>
  place.backend
    .removeCommands(name)
    .map((c) => `\`${c.command}\``)
    .join(", then ");

/** A checkpoint only named like this migration's: said as a warning (it shows in a run, not just a dry run), with how to remove it. */
export function notOwnWarning(name: string, place: CheckpointPlace, why: string): Finding {
  return warning(
    `${name} of the ${place.side} is not this migration's (${why})`,
    `${place.backend.label} lists it, but this migration's journal does not record it as taken or found by its runs: left alone`,
    `if you are sure it is this migration's, remove it by hand: ${removeByHand(place, name)}`,
    checkpointHostRole(place.side),
  );
}
