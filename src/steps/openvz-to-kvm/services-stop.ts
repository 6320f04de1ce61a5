import type { DatabaseFact } from "./facts.js";
import { freezeUnits } from "../services/freeze-units.js";

/**
 * When the services a pending undo starts were stopped, as the journal tells it. db-freeze (openvz-to-kvm)
 * registers the undo before the stop, and records the stop's time (`stoppedAt`) in its `databases` fact just
 * before it sends the stop; a journal from before that, or a run killed before it, leaves only the step's start.
 * Under a cutover the fact also says the freeze left them stopped on purpose (`leftStoppedOnSource`), and when
 * the cutover made that final (`cutoverAt`, when the undo is cleared).
 * Read without zod (status loads none), by status and by the dry run alike; the type is only a check that the
 * names still match.
 */
export type ServicesStop =
  /** Stopped at `at`, and not started again since. */
  | { kind: "stopped"; at: string }
  /** Stopped after `after` (the step's start), at the earliest: the run was killed before it recorded the stop. */
  | { kind: "stopped-after"; after: string }
  /**
   * Started again at `startedAt` after a first freeze, then the step redid its freeze: stopped again since, or
   * already started again (the journal cannot tell until the redo ends).
   */
  | { kind: "maybe-stopped-again"; startedAt: string }
  /** The freeze ended: stopped at `at`, started again at `startedAt`; the undo left pending changes nothing. */
  | { kind: "started-again"; at: string; startedAt: string }
  /** Stopped at `at` and left stopped on purpose by a cutover plan's freeze: its undo stays pending until the cutover. */
  | { kind: "left-for-cutover"; at: string };

/** The step whose undo starts what it stopped, and its facts (src/steps/openvz-to-kvm/facts.ts). */
export const FREEZE_STEP = "db-freeze";
export const DATABASES_FACT = "databases";
export const PROOF_FACT = "freezeProof";

type FreezeRecord = Partial<
  Pick<DatabaseFact, "units" | "triggers" | "stoppedAt" | "startedOnSourceAt" | "leftStoppedOnSource" | "cutoverAt">
>;

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

function recordOf(value: unknown): FreezeRecord {
  if (value === null || typeof value !== "object") return {};
  const { units, triggers, stoppedAt, startedOnSourceAt, leftStoppedOnSource, cutoverAt } = value as Record<
    string,
    unknown
  >;
  return {
    units: texts(units),
    triggers: texts(triggers),
    stoppedAt: text(stoppedAt),
    startedOnSourceAt: text(startedOnSourceAt),
    leftStoppedOnSource: leftStoppedOnSource === true,
    cutoverAt: text(cutoverAt),
  };
}

const redoUnderWay = (proof: unknown): boolean =>
  proof !== null && typeof proof === "object" && (proof as Record<string, unknown>)["redo"] === "under way";

/**
 * The stop behind an undo `registeredBy` a step (which began at `stepStartedAt`); undefined when the journal
 * tells nothing (a step that records no stop, and no start).
 */
export function servicesStop(
  facts: Readonly<Record<string, unknown>>,
  registeredBy: string,
  stepStartedAt: string | undefined,
): ServicesStop | undefined {
  const fallback = stepStartedAt ? { kind: "stopped-after" as const, after: stepStartedAt } : undefined;
  if (registeredBy !== FREEZE_STEP) return fallback;
  // Each attempt of the step writes the fact afresh (no stoppedAt) before it registers the undo.
  const { stoppedAt, startedOnSourceAt, leftStoppedOnSource } = recordOf(facts[DATABASES_FACT]);
  if (!stoppedAt) return fallback;
  if (!startedOnSourceAt || Date.parse(startedOnSourceAt) < Date.parse(stoppedAt))
    return leftStoppedOnSource ? { kind: "left-for-cutover", at: stoppedAt } : { kind: "stopped", at: stoppedAt };
  // Started again after that stop: stopped once more only by a redo of the freeze, whose times replace these.
  if (redoUnderWay(facts[PROOF_FACT])) return { kind: "maybe-stopped-again", startedAt: startedOnSourceAt };
  return { kind: "started-again", at: stoppedAt, startedAt: startedOnSourceAt };
}

/** What a finished cutover left stopped on the source on purpose (its undo is cleared then), and since when. */
export interface CutoverStop {
  units: string[];
  /** When the freeze stopped them, when the journal recorded it. */
  stoppedAt?: string;
  cutoverAt: string;
}

export function cutoverStop(facts: Readonly<Record<string, unknown>>): CutoverStop | undefined {
  const { units = [], triggers = [], stoppedAt, leftStoppedOnSource, cutoverAt } = recordOf(facts[DATABASES_FACT]);
  const stopped = freezeUnits({ services: units, triggers });
  if (!cutoverAt || !leftStoppedOnSource || stopped.length === 0) return undefined;
  return { units: stopped, stoppedAt, cutoverAt };
}
