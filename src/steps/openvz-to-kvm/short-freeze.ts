import type { PlannedCommand } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";
import {
  changedListCommand,
  CHANGED_LIST,
  classifyDifferences,
  ctimeQuestionCommand,
  ctimeQuestions,
  FREEZE_MARK,
  LIVE_PASS_MARK,
  markCommand,
  parseCtimeAnswers,
  parseDifferences,
  repairEntries,
  REPAIR_LIST,
  sourceQuestion,
  type Difference,
} from "../rsync/changed-since.js";
import { lockedRsync } from "../rsync/lock.js";
import { closeSshMasterCommand, openSshMasterCommand, SSH_MASTER_SOCKET } from "../rsync/ssh-master.js";
import { sshOptionsFor } from "../ssh-access/migration-key.js";
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
      /** The database directories the source has: listed entry by entry, so the frozen rsync copies them whole. */
      databaseDirs: string[];
      /** Before the stop: the ssh connection the frozen rsync runs over (ssh-master.ts). */
      openConnection: string;
      /** After the thaw: that connection closed. */
      closeConnection: string;
      /** The changed paths and every entry of the database directories, into CHANGED_LIST. */
      listChanged: string;
      /**
       * One rsync of the list, not one for the database directories and one for the changed paths: on the lab
       * (a writer inserting, 3 rounds each, same boot) the window's median was 4.8 s against 5.4 s with two
       * rsyncs one after the other, and 5.7 s with both at once (the emulated VM has one CPU).
       */
      copyChanged: string;
      /** A full no-change comparison (--dry-run) after the thaw. */
      proof: string;
      /** After the thaw: the paths the proof found stale (REPAIR_LIST), copied again. */
      repair: string;
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
  const ssh = sshOptionsFor(ctx.plan);
  const shared = { sshSharedConnection: SSH_MASTER_SOCKET };
  return {
    kind: "changed",
    databaseDirs,
    openConnection: openSshMasterCommand(ssh),
    closeConnection: closeSshMasterCommand(ssh),
    listChanged: changedListCommand(LIVE_PASS_MARK, databaseDirs),
    // The quick check, mtimes to the nanosecond: --ignore-times would resend every entry of each listed
    // directory. A target rsync too old for that compares whole seconds, which would skip a file rewritten
    // within the second of its copy (InnoDB's preallocated files keep their size): then every listed path,
    // the database directories' files among them, is sent whatever its size and mtime (delta transfer: the
    // unchanged blocks are checksummed, not sent; the freeze is longer by reading the databases whole).
    copyChanged: lockedRsync(
      RSYNC_LOCK,
      command({ compress, exactTimes, ignoreTimes: !exactTimes, filesFrom: CHANGED_LIST, ...shared }),
    ),
    proof: lockedRsync(RSYNC_LOCK, command({ exactTimes, listDifferences: true })),
    repair: lockedRsync(RSYNC_LOCK, command({ compress, exactTimes, filesFrom: REPAIR_LIST })),
  };
}

/** What the frozen pass of changed files and its proof run, for the gate and the dry-run report. */
export function changedPassCommands(plan: Extract<FinalPassPlan, { kind: "changed" }>): {
  beforeStop: PlannedCommand[];
  frozen: PlannedCommand[];
  afterThaw: PlannedCommand[];
  proof: PlannedCommand[];
} {
  return {
    beforeStop: [
      {
        host: "source",
        command: plan.openConnection,
        purpose:
          "open the ssh connection the frozen pass's rsync runs over, so the freeze pays for no login (without it the rsync connects on its own)",
      },
    ],
    afterThaw: [{ host: "source", command: plan.closeConnection, purpose: "close the shared ssh connection" }],
    frozen: [
      { host: "source", command: markCommand(FREEZE_MARK), purpose: "mark the freeze on the source's clock" },
      {
        host: "source",
        command: plan.listChanged,
        purpose: `list what changed (ctime) since the last live pass began${plan.databaseDirs.length > 0 ? `, and every entry of the database directories (${plan.databaseDirs.join(", ")})` : ""}; if the list cannot be made, a full pass instead`,
      },
      { host: "source", command: plan.copyChanged, purpose: "final pass: only the listed paths, in one rsync" },
    ],
    proof: [
      {
        host: "source",
        command: plan.proof,
        purpose: "after the thaw: compare the whole trees (--dry-run)",
      },
      {
        host: "source",
        command: ctimeQuestionCommand(FREEZE_MARK),
        purpose: "for each difference: did the source change it since the freeze (then it is newer than the copy)?",
      },
      {
        host: "source",
        command: sh`cat > ${REPAIR_LIST}`,
        purpose: "the list of differences the source did not change since the freeze (sent on stdin)",
      },
      {
        host: "source",
        command: plan.repair,
        purpose:
          "the differences the source did not change since the freeze (the target changed them, or the short pass missed them): copied again; one inside a database directory redoes the freeze with a full pass instead",
      },
    ],
  };
}

/** Before the stop: opens the shared connection; a failure only costs the frozen rsyncs a login each. */
export async function openSharedConnection(
  ctx: OvzContext,
  plan: Extract<FinalPassPlan, { kind: "changed" }>,
): Promise<void> {
  const opened = await ctx.host("source").exec(plan.openConnection, { signal: ctx.signal });
  if (opened.code !== 0)
    ctx.output(
      "source",
      `the shared ssh connection could not be opened (exit ${opened.code}): the frozen pass's rsync logs in on its own`,
      "stderr",
    );
}

export async function closeSharedConnection(
  ctx: OvzContext,
  plan: Extract<FinalPassPlan, { kind: "changed" }>,
): Promise<void> {
  await ctx.host("source").exec(plan.closeConnection, { signal: ctx.signal });
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
  const count = listed.stdout.trim();
  const parts: Array<{ what: string; seconds: number }> = [
    { what: "list changed paths", seconds: secondsSince(started) },
  ];
  const whole =
    plan.databaseDirs.length > 0 ? ` and the database directories' ${plan.databaseDirs.join(", ")} entries` : "";
  ctx.output(
    "source",
    `${count || "?"} paths listed: what changed since the last live pass began${whole} (${parts[0]!.seconds} s)`,
  );
  const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
  const number = passes.length + 1;
  ctx.output("source", `final pass ${number}, the listed paths: ${plan.copyChanged}`);
  const result = await runPass(ctx, plan.copyChanged, `final pass ${number}: the listed paths`);
  throwUnlessCopied(result, `final pass ${number} (the listed paths)`);
  reportVanished(ctx, result, "final");
  parts.push({ what: "rsync of the list", seconds: Math.round(result.seconds * 10) / 10 });
  const record = passRecord(number, "final", "quick-check", result, "changed", parts);
  await ctx.facts.set(OVZ_FACTS.syncPasses, [...passes, record]);
  return record;
}

export interface ProofResult {
  /** The comparison and the dating of its differences (not the repair). */
  seconds: number;
  /** The repair's rsync, when it ran. */
  repairSeconds?: number;
  differences: number;
  /** Differences the source made after the freeze (it runs again). */
  sinceFreeze: number;
  /** Paths copied again after the thaw (at most 20 kept), and how many. */
  repaired: string[];
  repairedCount: number;
  /** Stale paths inside the database directories (at most 20 kept): only a new freeze may copy them. */
  staleInDatabases: string[];
  /** Why the differences were not classified (too many, the mark gone): the freeze is redone. */
  unclassified?: string;
}

/** The freeze must be done again with a full pass. */
export const needsRefreeze = (proof: ProofResult): boolean =>
  proof.unclassified !== undefined || proof.staleInDatabases.length > 0;

/**
 * After the thaw: a full comparison (--dry-run) of the trees; each difference is then dated by the source's
 * ctime against the freeze mark. What the source changed since is newer than the copy (it runs again); the
 * rest (the target's own changes since the last live pass, anything the short pass missed) is copied again
 * now, as it stood in the freeze, unless it lies in a database directory: then the caller freezes again.
 */
export async function proveAndRepair(
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
  const done = (rest: Partial<ProofResult>): ProofResult => ({
    seconds: secondsSince(started),
    differences: differences.length,
    sinceFreeze: 0,
    repaired: [],
    repairedCount: 0,
    staleInDatabases: [],
    ...rest,
  });
  if (compared.code !== 0 && compared.code !== 24)
    return done({ unclassified: `the comparison failed (exit ${compared.code})` });
  if (overflow) return done({ unclassified: `more than ${MAX_DIFFERENCES} differences` });
  if (differences.length === 0) return done({});
  const answer = await ctx.host("source").exec(ctimeQuestionCommand(FREEZE_MARK), {
    signal: ctx.signal,
    stdin: ctimeQuestions(differences.map(sourceQuestion)),
  });
  if (answer.code !== 0) return done({ unclassified: "the freeze mark is gone, so no change can be dated" });
  const split = classifyDifferences(differences, parseCtimeAnswers(answer.stdout), plan.databaseDirs);
  const names = (list: Difference[]) => list.slice(0, 20).map((d) => d.path);
  const result = done({
    sinceFreeze: split.sinceFreeze.length,
    staleInDatabases: names(split.staleInDatabases),
    repaired: names(split.stale),
    repairedCount: split.stale.length,
  });
  if (needsRefreeze(result) || split.stale.length === 0) return result;
  await execOk(ctx.host("source"), sh`cat > ${REPAIR_LIST}`, { signal: ctx.signal, stdin: repairEntries(split.stale) });
  ctx.output("source", `repair: ${split.stale.length} stale paths copied again: ${plan.repair}`);
  const repairStarted = Date.now();
  const repaired = await runPass(ctx, plan.repair, "repair after the thaw");
  throwUnlessCopied(repaired, "repair after the thaw");
  return { ...result, repairSeconds: secondsSince(repairStarted) };
}

const secondsSince = (start: number): number => Math.round((Date.now() - start) / 100) / 10;
