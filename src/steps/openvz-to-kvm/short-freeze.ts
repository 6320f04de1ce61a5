import type { PlannedCommand } from "../../engine/step.js";
import { sh } from "../../hosts/quote.js";
import {
  changedListCommand,
  CHANGED_LIST,
  ctimeQuestionCommand,
  ctimeQuestions,
  FREEZE_MARK,
  LIVE_PASS_MARK,
  markCommand,
  missedDifferences,
  normalise,
  parseCtimeAnswers,
  parseDifferences,
  sourceQuestion,
  TARGET_FREEZE_MARK,
  type Difference,
} from "../rsync/changed-since.js";
import { lockedRsync } from "../rsync/lock.js";
import type { PassResult } from "../rsync/pass.js";
import { OVZ_FACTS } from "./facts.js";
import type { OvzContext } from "./plan.js";
import {
  passRecord,
  reportVanished,
  RSYNC_LOCK,
  runPass,
  type SyncCommandBuilder,
  throwUnlessCopied,
  type PassPlan,
  type SyncPassRecord,
} from "./sync.js";

/** Where MariaDB/MySQL and PostgreSQL keep their data on Debian and the RHEL family: copied whole while frozen. */
const DATABASE_DIRS = ["/var/lib/mysql", "/var/lib/postgresql", "/var/lib/pgsql"];

/** Differences the proof reads at most; beyond that it does not classify them and redoes the freeze. */
const MAX_DIFFERENCES = 20_000;

/**
 * The frozen pass of a migration that keeps the source running: only what changed since the last live
 * pass began, proven complete after the thaw. `full` says why the whole tree is copied instead.
 */
export type FinalPassPlan =
  | { kind: "full"; why: string }
  | {
      kind: "changed";
      /** The database directories the source has: copied whole (recursively, with --delete). */
      databaseDirs: string[];
      listChanged: string;
      copyDatabaseDirs: string | null;
      copyChanged: string;
      /** A full no-change comparison (--dry-run) after the thaw. */
      proof: string;
    };

export async function finalPassPlan(
  ctx: OvzContext,
  units: string[],
  pass: PassPlan,
  finalPass: "changed" | "full",
  command: SyncCommandBuilder,
): Promise<FinalPassPlan> {
  if (finalPass === "full") return { kind: "full", why: "options.finalPass is full" };
  if (ctx.plan.options.cutover)
    return {
      kind: "full",
      why: "a cutover starts the VM's databases right after the final pass, so no check may follow it with a copy: the final pass is the whole tree",
    };
  if (units.length === 0) return { kind: "full", why: "no database is stopped, so there is no freeze to shorten" };
  const source = ctx.host("source");
  const databaseDirs: string[] = [];
  for (const dir of DATABASE_DIRS) if ((await source.stat(dir))?.type === "dir") databaseDirs.push(dir);
  const compress = pass.compression.flags;
  const exactTimes = pass.timePrecision.exact;
  return {
    kind: "changed",
    databaseDirs,
    listChanged: changedListCommand(LIVE_PASS_MARK),
    copyDatabaseDirs:
      databaseDirs.length > 0 ? lockedRsync(RSYNC_LOCK, command({ compress, exactTimes, only: databaseDirs })) : null,
    // Listed because their ctime moved: sent whatever size and mtime say (an mtime can be set back).
    copyChanged: lockedRsync(RSYNC_LOCK, command({ compress, ignoreTimes: true, filesFrom: CHANGED_LIST })),
    proof: lockedRsync(RSYNC_LOCK, command({ exactTimes, listDifferences: true })),
  };
}

/** What the frozen pass of changed files and its proof run, for the gate and the dry-run report. */
export function changedPassCommands(plan: Extract<FinalPassPlan, { kind: "changed" }>): {
  before: PlannedCommand[];
  frozen: PlannedCommand[];
  proof: PlannedCommand[];
} {
  return {
    before: [
      {
        host: "target",
        command: markCommand(TARGET_FREEZE_MARK),
        purpose: "mark the freeze on the target's clock (its own services write too)",
      },
    ],
    frozen: [
      { host: "source", command: markCommand(FREEZE_MARK), purpose: "mark the freeze on the source's clock" },
      {
        host: "source",
        command: plan.listChanged,
        purpose: `list what changed (ctime) since the last live pass began; if the list cannot be made, a full pass instead`,
      },
      ...(plan.copyDatabaseDirs
        ? [{ host: "source", command: plan.copyDatabaseDirs, purpose: "the database directories, whole" }]
        : []),
      { host: "source", command: plan.copyChanged, purpose: "final pass: only the listed paths" },
    ],
    proof: [
      {
        host: "source",
        command: plan.proof,
        purpose:
          "after the thaw: compare the whole trees (--dry-run); a difference not explained by a change since the freeze (ctime on either side) means the short pass missed it, and the freeze is redone with a full pass",
      },
      {
        host: "source",
        command: ctimeQuestionCommand(FREEZE_MARK),
        purpose: "for each difference: did the source change it since the freeze?",
      },
      {
        host: "target",
        command: ctimeQuestionCommand(TARGET_FREEZE_MARK),
        purpose: "and the target (its own services write too)?",
      },
    ],
  };
}

/**
 * Marks the freeze on the target's clock, before the stop (outside the window on a slow VM): a target file
 * changed after it was written by the frozen pass or by the target's own services, not missed by the copy.
 */
export async function markTargetFreeze(ctx: OvzContext): Promise<void> {
  const marked = await ctx.host("target").exec(markCommand(TARGET_FREEZE_MARK), { signal: ctx.signal });
  if (marked.code !== 0)
    ctx.output("target", `could not mark the freeze (exit ${marked.code}): the proof will redo it`, "stderr");
}

/**
 * The frozen pass of changed paths, recorded in the journal like any pass (scope "changed"). Returns null,
 * with the reason shown, when the list cannot be made (no completed live pass marked its start, find
 * failed): the caller then runs a full pass in the same freeze.
 */
export async function changedPass(
  ctx: OvzContext,
  plan: Extract<FinalPassPlan, { kind: "changed" }>,
): Promise<SyncPassRecord | null> {
  const source = ctx.host("source");
  if ((await source.stat(LIVE_PASS_MARK)) === null) {
    ctx.output("source", `no completed live pass marked its start (${LIVE_PASS_MARK}): a full final pass instead`);
    return null;
  }
  const mark = await source.exec(markCommand(FREEZE_MARK), { signal: ctx.signal });
  const started = Date.now();
  const listed = mark.code === 0 ? await source.exec(plan.listChanged, { signal: ctx.signal }) : mark;
  if (listed.code !== 0) {
    ctx.output(
      "source",
      `the list of changed paths could not be made (exit ${listed.code}: ${listed.stderr.trim().split("\n").slice(-2).join(" ")}): a full final pass instead`,
      "stderr",
    );
    return null;
  }
  const count = (await source.exec(sh`tr -cd '\\0' < ${CHANGED_LIST} | wc -c`, { signal: ctx.signal })).stdout.trim();
  ctx.output("source", `${count || "?"} paths changed since the last live pass began (${secondsSince(started)} s)`);
  const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
  const number = passes.length + 1;
  const results: PassResult[] = [];
  for (const [command, what] of [
    [plan.copyDatabaseDirs, `the database directories (${plan.databaseDirs.join(", ")})`],
    [plan.copyChanged, "the changed paths"],
  ] as const) {
    if (!command) continue;
    ctx.output("source", `final pass ${number}, ${what}: ${command}`);
    const result = await runPass(ctx, command, `final pass ${number}: ${what}`);
    throwUnlessCopied(result, `final pass ${number} (${what})`);
    reportVanished(ctx, result, "final");
    results.push(result);
  }
  const record = passRecord(number, "final", "quick-check", results, "changed");
  await ctx.facts.set(OVZ_FACTS.syncPasses, [...passes, record]);
  return record;
}

export interface ProofResult {
  seconds: number;
  differences: number;
  /** Paths the frozen pass should have copied (at most 20 kept), and how many there were. */
  missed: string[];
  missedCount: number;
  /** Why the differences were not classified (too many, a mark gone): the freeze is redone. */
  unclassified?: string;
}

/**
 * After the thaw: a full comparison (--dry-run) of the trees, each difference then explained or not by a
 * change since the freeze on either side. Runs outside the freeze window; the caller redoes the freeze
 * with a full pass when anything was missed.
 */
export async function proveNothingMissed(
  ctx: OvzContext,
  plan: Extract<FinalPassPlan, { kind: "changed" }>,
): Promise<ProofResult> {
  const started = Date.now();
  const lines: string[] = [];
  let overflow = false;
  ctx.output("source", `proof: ${plan.proof}`);
  const compared = await ctx.host("source").exec(plan.proof, {
    signal: ctx.signal,
    stdoutTailChars: 4096,
    onStdout: (line) => {
      if (lines.length < MAX_DIFFERENCES) lines.push(line);
      else overflow = true;
    },
    onStderr: (line) => ctx.output("source", line, "stderr"),
  });
  const differences = parseDifferences(lines);
  const done = (rest: Omit<ProofResult, "seconds" | "differences">): ProofResult => ({
    seconds: secondsSince(started),
    differences: differences.length,
    ...rest,
  });
  if (compared.code !== 0 && compared.code !== 24)
    return done({ missed: [], missedCount: 0, unclassified: `the comparison failed (exit ${compared.code})` });
  if (overflow) return done({ missed: [], missedCount: 0, unclassified: `more than ${MAX_DIFFERENCES} differences` });
  if (differences.length === 0) return done({ missed: [], missedCount: 0 });
  const source = await askCtimes(ctx, "source", FREEZE_MARK, differences.map(sourceQuestion));
  const target = await askCtimes(
    ctx,
    "target",
    TARGET_FREEZE_MARK,
    differences.map((d) => normalise(d.path)),
  );
  if (!source || !target)
    return done({ missed: [], missedCount: 0, unclassified: "a freeze mark is gone, so no change can be dated" });
  const missed: Difference[] = missedDifferences(differences, source, target);
  return done({ missed: missed.slice(0, 20).map((d) => d.path), missedCount: missed.length });
}

async function askCtimes(
  ctx: OvzContext,
  role: "source" | "target",
  mark: string,
  paths: string[],
): Promise<Map<string, "new" | "old"> | null> {
  const answer = await ctx.host(role).exec(ctimeQuestionCommand(mark), {
    signal: ctx.signal,
    stdin: ctimeQuestions(paths),
  });
  return answer.code === 0 ? parseCtimeAnswers(answer.stdout) : null;
}

const secondsSince = (start: number): number => Math.round((Date.now() - start) / 100) / 10;
