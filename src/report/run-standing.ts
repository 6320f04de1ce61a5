import type { JournalData } from "../journal/journal.js";

/**
 * How a run stands at its step: stopped there (failed, blocked, running; at its gate, waiting or killed before
 * anything of it ran; declined there), or `done`: the last step that did something, the run stands after it.
 */
export const STANDING_STATUSES = [
  "failed",
  "blocked",
  "running",
  "waiting-for-confirmation",
  "killed-at-confirmation",
  "declined",
  "done",
] as const;
export type StandingStatus = (typeof STANDING_STATUSES)[number];

export interface Standing {
  stepId: string;
  status: StandingStatus;
}

/**
 * A last run without an outcome that asked at a step's gate and got no answer (its log says so, as `status`
 * reads it): the step is journaled "running", but nothing of it ran.
 */
export interface UnansweredGate {
  stepId: string;
  /** A live run holds the journal's lock: it still waits; otherwise it was killed there. */
  lockHeld: boolean;
}

const STUCK = ["failed", "blocked", "running"] as const;
const isStuck = (status: string): status is (typeof STUCK)[number] => (STUCK as readonly string[]).includes(status);

/** The step a migration stopped at, or the last one done; null when no step did anything yet. */
export function standingOf(journal: JournalData, gate?: UnansweredGate): Standing | null {
  const steps = Object.entries(journal.steps);
  // the first step stuck, if one is
  for (const [stepId, { status }] of steps) {
    if (!isStuck(status)) continue;
    if (status === "running" && stepId === gate?.stepId)
      return { stepId, status: gate.lockHeld ? "waiting-for-confirmation" : "killed-at-confirmation" };
    return { stepId, status };
  }
  const declined = steps.find(([, s]) => s.status === "pending" && s.message === "declined at the gate");
  if (declined) return { stepId: declined[0], status: "declined" };
  // a skipped step did nothing: "after" names the last one that did (found by a new-user trial)
  const done = steps.filter(([, s]) => s.status === "done");
  const last = done[done.length - 1];
  return last ? { stepId: last[0], status: "done" } : null;
}

const IN_WORDS: Record<StandingStatus, (stepId: string) => string> = {
  failed: (id) => `${id} (failed)`,
  blocked: (id) => `${id} (blocked)`,
  running: (id) => `${id} (running)`,
  "waiting-for-confirmation": (id) => `${id} (waiting for confirmation)`,
  "killed-at-confirmation": (id) => `${id} (killed at its confirmation, nothing of it ran)`,
  declined: (id) => `${id} (declined)`,
  done: (id) => `after ${id}`,
};

/** Where a migration stands, in a few words: the runs table's STEP column. */
export function standingText(standing: Standing | null): string {
  return standing ? IN_WORDS[standing.status](standing.stepId) : "none yet";
}
