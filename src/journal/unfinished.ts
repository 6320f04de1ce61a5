import type { JournalData } from "./journal.js";

/** The rollback a journal's steps say they were reset by (reset-journal.ts), or undefined. */
export function rolledBackBy(journal: Readonly<JournalData>): string | undefined {
  return Object.values(journal.steps).find((s) => s.status === "pending" && s.message?.startsWith(ROLLED_BACK))
    ?.message;
}

/** How reset-journal.ts begins the message of each step a rollback set pending again. */
export const ROLLED_BACK = "rolled back to checkpoint ";

/** The checkpoint and the time in a step's note written by reset-journal.ts (`${ROLLED_BACK}NAME at ISO`). */
const ROLLBACK_NOTE = /^rolled back to checkpoint (.+) at (\S+)$/;

export interface Rollback {
  checkpoint: string;
  at: string;
}

/**
 * The rollback that rewound the journal after its last run began, or undefined: the migration's steps are
 * pending again since, so whatever that run ended with, it no longer says where the migration stands.
 */
export function rollbackSinceLastRun(journal: Readonly<JournalData>): Rollback | undefined {
  const last = journal.runs.at(-1);
  if (!last) return undefined;
  const note = ROLLBACK_NOTE.exec(rolledBackBy(journal) ?? "");
  if (!note || !(Date.parse(note[2]!) >= Date.parse(last.startedAt))) return undefined;
  return { checkpoint: note[1]!, at: note[2]! };
}

/**
 * Why a migration's journal says it is not finished (its checkpoints may still be needed to roll back), or
 * undefined: no run recorded, or the last one ended done with every step it recorded done or skipped. A
 * rollback after a done run leaves steps pending again, so the outcome alone is not enough.
 */
export function unfinishedBecause(journal: Readonly<JournalData>): string | undefined {
  const last = journal.runs.at(-1);
  if (!last) return undefined;
  if (last.outcome !== "done")
    return `its last run (started ${last.startedAt}) ${last.outcome ? `ended ${last.outcome}` : "ended without recording an outcome (killed)"}`;
  const open = Object.entries(journal.steps)
    .filter(([, s]) => s.status !== "done" && s.status !== "skipped")
    .map(([id, s]) => `${id} (${s.status})`);
  return open.length > 0 ? `steps are not done since its last run (a rollback?): ${open.join(", ")}` : undefined;
}
