import { existsSync } from "node:fs";
import { copyFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { BadInputError } from "../errors.js";
import { stepStatusSchema, verifyCheckSchema, type StepStatus } from "../engine/events.js";
import type { Compensation, VerifyCheck } from "../engine/step.js";
import { WrittenButNotSyncedError, writeFileAtomic } from "./atomic-write.js";
import { readJournalWith, type JournalCheck } from "./journal-read.js";
import { journalPathFor } from "./journal-names.js";
import { LockFile } from "./lock.js";
import { assertNoSecrets } from "./secrets.js";
import { changedPlanKeys } from "../plan/plan-key-hashes.js";
import { journalWriteError, prepareStateDir, stateDirWriteError } from "./state-dir.js";

const stepRecordSchema = z.object({
  status: stepStatusSchema,
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  message: z.string().optional(),
  checks: z.array(verifyCheckSchema).optional(),
  attempts: z.number().int().default(0),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

const compensationSchema = z.object({
  id: z.string(),
  title: z.string(),
  host: z.string(),
  command: z.string(),
  registeredBy: z.string(),
  notInALaterRun: z.string().optional(),
  undoesStep: z.boolean().optional(),
});

export const journalSchema = z.object({
  version: z.literal(1),
  migrationId: z.string(),
  kind: z.string(),
  planPath: z.string(),
  planHash: z.string(),
  /** sha256 of the plan file's bytes when a run last accepted it: lets `status` see an unchanged plan without parsing it. */
  planTextHash: z.string().optional(),
  /** A short hash of each setting of the plan (plan-key-hashes.ts): an edited plan is refused naming what changed. */
  planKeyHashes: z.record(z.string(), z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  steps: z.record(z.string(), stepRecordSchema),
  facts: z.record(z.string(), z.unknown()),
  compensations: z.array(compensationSchema),
  compensationLog: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      ok: z.boolean(),
      at: z.string(),
      message: z.string().optional(),
      /** What the undo did, when its command said (undo-outcome.ts). */
      outcome: z.string().optional(),
      /** Its command was not run: a later run found it pending and only said its notInALaterRun (in outcome). */
      notRun: z.boolean().optional(),
      /** It ran and kept the change as it was (undo-outcome.ts, sayUndoKept): its step's change still holds. */
      kept: z.boolean().optional(),
      /** The step whose change it undid (older journals lack it): status shows that step undone. */
      registeredBy: z.string().optional(),
    }),
  ),
  runs: z.array(
    z.object({
      startedAt: z.string(),
      endedAt: z.string().optional(),
      mode: z.string(),
      outcome: z.string().optional(),
    }),
  ),
});
export type JournalData = z.infer<typeof journalSchema>;

const zodJournalCheck: JournalCheck = (json) => {
  const parsed = journalSchema.safeParse(json);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0];
  return { path: issue?.path.join(".") ?? "", message: issue?.message ?? "invalid" };
};

export interface OpenJournalOptions {
  stateDir: string;
  migrationId: string;
  kind: string;
  planPath: string;
  planHash: string;
  /** sha256 of the plan file's bytes (LoadedPlan.textHash), recorded for `status`. */
  planTextHash?: string;
  /** LoadedPlan.keyHashes: kept, so that a refusal of an edited plan names the settings that changed. */
  planKeyHashes?: Record<string, string>;
  /** The journal's file name without .journal.json (default: the migration id). */
  fileStem?: string;
  /** Hashes an older version took of this same plan: a journal holding one resumes (and is rewritten with planHash). */
  formerPlanHashes?: string[];
  /** Start a new journal over an existing one (the user asked to start over; keepReplaced keeps a copy). */
  restart?: boolean;
  /** Dry-runs read the journal but never lock or write it. */
  readOnly?: boolean;
  /**
   * What to do when the plan changed since the journal's run, for commands that take no --restart (rollback,
   * checkpoints --delete); default: restore the plan or start over with --restart.
   */
  changedPlanAdvice?: string;
  /** With restart, when the user asked for it: the journal it replaces is copied to `${path}.before-restart-TIME`. */
  keepReplaced?: boolean;
}

/**
 * One JSON file per migration, rewritten atomically (mode 0600) after every state change, guarded by
 * a lock file so two runs of the same migration cannot overlap.
 */
export class Journal {
  private constructor(
    readonly path: string,
    private data: JournalData,
    private readonly lock: LockFile | null,
    readonly resumed: boolean,
    /** Whether the journal file holds this journal: read at open, or saved since (a dry run never saves). */
    private onDisk: boolean,
    /** Where --restart kept the journal it replaced (OpenJournalOptions.keepReplaced). */
    readonly replacedCopy?: string,
  ) {
    this.saved = lock ? JSON.stringify(data) : "";
  }

  /** The journal as last saved, or as opened: a change that cannot be saved is undone in memory too. */
  private saved: string;
  private saving = false;

  /** The journal's file, when it holds this journal; undefined for a journal nothing was written to yet. */
  get writtenPath(): string | undefined {
    return this.onDisk ? this.path : undefined;
  }

  static pathFor(stateDir: string, fileStem: string): string {
    return journalPathFor(stateDir, fileStem);
  }

  static read(path: string): Promise<JournalData | null> {
    return readJournalWith(path, zodJournalCheck);
  }

  static async open(options: OpenJournalOptions): Promise<Journal> {
    await prepareStateDir(options.stateDir, !options.readOnly);
    const path = Journal.pathFor(options.stateDir, options.fileStem ?? options.migrationId);
    // A damaged journal is refused before the lock file touches the state dir (read again under the lock).
    if (!options.restart) await Journal.read(path);
    const lock = options.readOnly
      ? null
      : await LockFile.acquire(`${path}.lock`).catch((error: unknown) =>
          Promise.reject(stateDirWriteError(options.stateDir, error)),
        );
    try {
      const existing = options.restart ? null : await Journal.read(path);
      if (existing && options.formerPlanHashes?.includes(existing.planHash)) existing.planHash = options.planHash;
      if (existing && existing.planHash !== options.planHash) {
        throw new BadInputError(
          `the plan ${options.planPath} changed since migration "${options.migrationId}" started (journal ${path})${whatChanged(existing.planKeyHashes, options.planKeyHashes)}.\n` +
            (options.changedPlanAdvice ??
              "Restore the plan, or start over with --restart (a new journal; this one is kept as JOURNAL.before-restart-TIME; pending compensations are listed first)."),
        );
      }
      const carried = options.restart ? await pendingCompensationsToCarry(path, options) : [];
      const now = new Date().toISOString();
      // Nothing of an earlier run is lost without a word: its journal stays beside the new one.
      // One copy per restart (a second --restart must not overwrite the first's), named by when it was made.
      const replacedCopy =
        options.restart && options.keepReplaced && lock && existsSync(path)
          ? `${path}.before-restart-${now.replace(/[:.]/g, "-")}`
          : undefined;
      // A copy that could not be made (a full state dir) stops the restart before anything changed, and leaves no
      // half copy behind.
      if (replacedCopy)
        await copyFile(path, replacedCopy).catch(async (error: unknown) => {
          await unlink(replacedCopy).catch(() => undefined);
          throw stateDirWriteError(options.stateDir, error);
        });
      const data: JournalData = existing ?? {
        version: 1,
        migrationId: options.migrationId,
        kind: options.kind,
        planPath: options.planPath,
        planHash: options.planHash,
        ...(options.planTextHash ? { planTextHash: options.planTextHash } : {}),
        ...(options.planKeyHashes ? { planKeyHashes: options.planKeyHashes } : {}),
        createdAt: now,
        updatedAt: now,
        steps: {},
        facts: {},
        // What an earlier run left undone (a stopped database) survives --restart and runs first.
        compensations: carried,
        compensationLog: [],
        runs: [],
      };
      if (existing && options.planTextHash) existing.planTextHash = options.planTextHash;
      // A journal from before planKeyHashes learns them from the plan it was found to match.
      if (existing && options.planKeyHashes) existing.planKeyHashes = options.planKeyHashes;
      const resumed = existing !== null && Object.values(existing.steps).some((s) => s.status !== "pending");
      return new Journal(path, data, lock, resumed, existing !== null, replacedCopy);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  get snapshot(): Readonly<JournalData> {
    return this.data;
  }

  step(id: string): StepRecord {
    return this.data.steps[id] ?? { status: "pending", attempts: 0 };
  }

  async updateStep(id: string, patch: Partial<StepRecord> & { status: StepStatus }): Promise<void> {
    this.refuseOverlap();
    this.data.steps[id] = { ...this.step(id), ...patch };
    await this.save();
  }

  /** Puts a step's record back as it was (an attempt that ran nothing of it leaves no trace). */
  async restoreStep(id: string, record: StepRecord): Promise<void> {
    this.refuseOverlap();
    this.data.steps[id] = record;
    await this.save();
  }

  async setFact(key: string, value: unknown): Promise<void> {
    this.refuseOverlap();
    assertNoSecrets(value, `fact ${key} to the journal`);
    this.data.facts[key] = value;
    await this.save();
  }

  async addCompensation(compensation: Compensation): Promise<void> {
    this.refuseOverlap();
    assertNoSecrets(compensation, "a compensation to the journal");
    this.data.compensations = [...this.data.compensations.filter((c) => c.id !== compensation.id), compensation];
    await this.save();
  }

  async removeCompensation(
    id: string,
    outcome?: {
      ok: boolean;
      title: string;
      message?: string;
      outcome?: string;
      notRun?: boolean;
      kept?: boolean;
      registeredBy?: string;
    },
  ): Promise<void> {
    this.refuseOverlap();
    this.data.compensations = this.data.compensations.filter((c) => c.id !== id);
    if (outcome) this.data.compensationLog.push({ id, ...outcome, at: new Date().toISOString() });
    await this.save();
  }

  /** Drops these compensations in one write: a cutover clears its undo steps together or not at all. */
  async removeCompensations(ids: readonly string[]): Promise<void> {
    this.refuseOverlap();
    const gone = new Set(ids);
    // Nothing to clear (a step whose list was empty): no write, which a full state dir could fail for nothing.
    if (!this.data.compensations.some((c) => gone.has(c.id))) return;
    this.data.compensations = this.data.compensations.filter((c) => !gone.has(c.id));
    await this.save();
  }

  async logCompensationFailure(id: string, title: string, message: string): Promise<void> {
    this.refuseOverlap();
    this.data.compensationLog.push({ id, title, ok: false, message, at: new Date().toISOString() });
    await this.save();
  }

  async startRun(mode: string): Promise<void> {
    this.refuseOverlap();
    this.data.runs.push({ startedAt: new Date().toISOString(), mode });
    await this.save();
  }

  async endRun(outcome: string): Promise<void> {
    this.refuseOverlap();
    const run = this.data.runs[this.data.runs.length - 1];
    if (run) {
      run.endedAt = new Date().toISOString();
      run.outcome = outcome;
    }
    await this.save();
  }

  /** Resets this step and every later one to pending (their work may have been undone). */
  async resetFrom(stepIds: string[], fromId: string): Promise<void> {
    this.refuseOverlap();
    const start = stepIds.indexOf(fromId);
    for (const id of stepIds.slice(start))
      if (this.data.steps[id]) this.data.steps[id] = { ...this.step(id), status: "pending" };
    await this.save();
  }

  /** After an undo of `fromId`'s work: it and every later step the journal has done are pending again. */
  async pendingAgainFrom(stepIds: string[], fromId: string): Promise<void> {
    this.refuseOverlap();
    const start = stepIds.indexOf(fromId);
    if (start < 0) return;
    for (const id of stepIds.slice(start))
      if (this.data.steps[id]?.status === "done") this.data.steps[id] = { ...this.step(id), status: "pending" };
    await this.save();
  }

  /**
   * After a rollback to a checkpoint: this step and every later one are pending again (with why), and the
   * facts that described the undone work are gone, so the next run plans from the rolled-back state.
   */
  async rollBackTo(stepIds: string[], fromId: string, dropFacts: string[], why: string): Promise<void> {
    this.refuseOverlap();
    const start = stepIds.indexOf(fromId);
    if (start < 0) throw new Error(`no step ${fromId} in this journal's pipeline`);
    for (const id of stepIds.slice(start))
      if (this.data.steps[id]) this.data.steps[id] = { status: "pending", attempts: 0, message: why };
    for (const key of dropFacts) delete this.data.facts[key];
    await this.save();
  }

  /**
   * Called before a change touches memory: two saves at once would share one temp file, and a failed one would
   * revert the other's change in memory (a refused change must not be in memory for the next save to write).
   */
  private refuseOverlap(): void {
    if (this.saving) throw new Error("journal changes overlap: every change to the journal must be awaited in turn");
  }

  async save(): Promise<void> {
    if (!this.lock) return;
    this.refuseOverlap();
    this.saving = true;
    try {
      await this.write();
    } finally {
      this.saving = false;
    }
  }

  private async write(): Promise<void> {
    this.data.updatedAt = new Date().toISOString();
    assertNoSecrets(this.data, "the journal");
    const text = JSON.stringify(this.data, null, 2) + "\n";
    try {
      await writeFileAtomic(this.path, text);
    } catch (error) {
      if (error instanceof WrittenButNotSyncedError) {
        // The new text is the journal now (only its durability is in doubt): memory stays as the file is.
        this.saved = text;
        this.onDisk = true;
        throw journalWriteError(dirname(this.path), error.cause, true);
      }
      // What the journal could not record did not happen, for this run as for the next: a compensation
      // registered (always before its change) is not pending, one cleared stays pending and runs.
      this.data = JSON.parse(this.saved) as JournalData;
      throw journalWriteError(dirname(this.path), error);
    }
    this.saved = text;
    this.onDisk = true;
  }

  async close(): Promise<void> {
    await this.lock?.release();
  }
}

export type { VerifyCheck };

/**
 * --restart starts without the earlier steps and facts (they stay in the copy keepReplaced makes), never
 * without a pending compensation: those carry over into the new journal and run first. Under an edited
 * plan they might run on another machine, so that restart is refused, naming each. A damaged journal
 * holds nothing readable to carry.
 */
async function pendingCompensationsToCarry(path: string, options: OpenJournalOptions): Promise<Compensation[]> {
  const existing = await Journal.read(path).catch((error: unknown) => {
    if (error instanceof BadInputError) return null;
    throw error;
  });
  const pending = existing?.compensations ?? [];
  if (
    pending.length === 0 ||
    existing?.planHash === options.planHash ||
    options.formerPlanHashes?.includes(existing!.planHash)
  )
    return pending;
  const list = pending.map((c) => `"${c.title}" on ${c.host} (${c.command})`).join("; ");
  throw new BadInputError(
    `--restart would drop ${pending.length} pending compensation(s) of migration "${options.migrationId}" recorded under an earlier version of the plan: ${list}. ` +
      `Restore the plan and run once without --restart (they run first), or run them by hand and then remove ${path}`,
  );
}

/** ": changed: source.host, options.services" when the journal kept the settings' hashes; nothing otherwise. */
function whatChanged(before: Record<string, string> | undefined, after: Record<string, string> | undefined): string {
  if (!before || !after) return "";
  const changed = changedPlanKeys(before, after);
  // Only a setting that looks like a secret (it has no hash of its own) can change unseen.
  return changed.length > 0 ? `: changed: ${changed.join(", ")}` : ": a setting that looks like a secret changed";
}
