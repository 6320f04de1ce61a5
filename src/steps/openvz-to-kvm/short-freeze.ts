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
import type { PassResult } from "../rsync/pass.js";
import { closeSshMasterCommand, openSshMasterCommand, SSH_MASTER_SOCKET } from "../rsync/ssh-master.js";
import { revokeCommand, sshOptionsFor } from "../ssh-access/migration-key.js";
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
      /**
       * The copy is done but its mark (LIVE_PASS_MARK) is gone: an earlier run's stop removed it with the
       * migration key. One live pass runs before the stop, with the databases up, to mark it again; without
       * it the frozen pass would be the whole tree.
       */
      catchUpLivePass: boolean;
      /** Before the stop: the ssh connection the frozen rsync runs over (ssh-master.ts). */
      openConnection: string;
      /** After the thaw: that connection closed. */
      closeConnection: string;
      /** The changed paths and every entry of the database directories, into CHANGED_LIST. */
      listChanged: string;
      /**
       * One rsync of the list, not one for the database directories and one for the changed paths: on the lab
       * (a writer inserting, 3 rounds each, same boot) the window's median was 4.8 s against 5.4 s with two
       * rsyncs one after the other, and 5.7 s with both at once (measured when the lab VM had one vCPU; the
       * window is mostly the database files' delta transfer either way). Started before
       * the stop, it waits for the list (waitingCopyCommand).
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
  // Before the copy the mark does not exist yet: the copy's live passes make it. A dry run after a kill sees it
  // still there, but the run's first act, the killed run's pending key removal, deletes it.
  const copied = (ctx.facts.get(OVZ_FACTS.syncPasses) ?? []).some((p) => p.kind === "live");
  const keyRemovalPending = ctx.compensations.pending().some((c) => c.command === revokeCommand("source"));
  return {
    kind: "changed",
    databaseDirs,
    catchUpLivePass: copied && (keyRemovalPending || (await source.stat(LIVE_PASS_MARK)) === null),
    openConnection: openSshMasterCommand(ssh),
    closeConnection: closeSshMasterCommand(ssh),
    listChanged: changedListCommand(LIVE_PASS_MARK, databaseDirs),
    // The quick check, mtimes to the nanosecond: --ignore-times would resend every entry of each listed
    // directory. A target rsync too old for that compares whole seconds, which would skip a file rewritten
    // within the second of its copy (InnoDB's preallocated files keep their size): then every listed path,
    // the database directories' files among them, is sent whatever its size and mtime (delta transfer: the
    // unchanged blocks are checksummed, not sent; the freeze is longer by reading the databases whole).
    copyChanged: waitingCopyCommand(
      lockedRsync(RSYNC_LOCK, command({ compress, exactTimes, ignoreTimes: !exactTimes, filesFrom: "-", ...shared })),
    ),
    proof: lockedRsync(RSYNC_LOCK, command({ exactTimes, listDifferences: true })),
    repair: lockedRsync(RSYNC_LOCK, command({ compress, exactTimes, filesFrom: REPAIR_LIST })),
  };
}

/** What the waiting copy reads on its stdin to copy the list; anything else, or EOF, copies nothing. */
const GO = "go";

/**
 * The frozen pass's rsync, started before the stop: it logs in to the target and starts the target's rsync
 * (on a slow target the larger part of a small pass), then waits on its stdin. Given GO once the list is
 * made, it reads CHANGED_LIST; given anything else, or EOF (the CLI gone, the connection lost), an empty list:
 * it copies nothing and lets go of the copy's lock. rsync reads --files-from=- only after connecting.
 */
export function waitingCopyCommand(lockedCopy: string): string {
  return sh`{ read -r go && test "$go" = ${GO} && cat ${CHANGED_LIST}; }` + ` | ( ${lockedCopy} )`;
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
      {
        host: "source",
        command: plan.copyChanged,
        purpose:
          "final pass, started before the stop so the freeze pays for no connection: it waits for the list of changed paths and copies only them, in one rsync (if the list cannot be made it copies nothing)",
      },
    ],
    afterThaw: [{ host: "source", command: plan.closeConnection, purpose: "close the shared ssh connection" }],
    frozen: [
      { host: "source", command: markCommand(FREEZE_MARK), purpose: "mark the freeze on the source's clock" },
      {
        host: "source",
        command: plan.listChanged,
        purpose: `list what changed (ctime) since the last live pass began${plan.databaseDirs.length > 0 ? `, and every entry of the database directories (${plan.databaseDirs.join(", ")})` : ""}, then tell the waiting final pass to copy it; if the list cannot be made, a full pass instead`,
      },
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

/** Why a live pass runs before the stop (FinalPassPlan's catchUpLivePass), for the gate and the run's output. */
export const CATCH_UP_WHY = `the mark of the last live pass (${LIVE_PASS_MARK}) is gone (an earlier run's stop removes it with the migration key): one more live pass runs first, with the databases running, so the freeze copies only what changes after it`;

/** The short pass needs the mark its last live pass left; without it the freeze copies the whole tree. */
export async function liveMarkPresent(ctx: OvzContext): Promise<boolean> {
  if ((await ctx.host("source").stat(LIVE_PASS_MARK)) !== null) return true;
  ctx.output("source", `no completed live pass marked its start (${LIVE_PASS_MARK}): a full final pass instead`);
  return false;
}

/** The frozen pass's rsync, running and waiting for its list (waitingCopyCommand). */
export interface WaitingCopy {
  /** Its pass number among the journal's passes. */
  number: number;
  /** Settles when the rsync ends: before `go` only when it failed (it could not connect, say: the pass then fails). */
  result: Promise<PassResult>;
  /** The list is made: copy it. */
  go(): void;
  /** Copy nothing, and wait for the rsync to end (it lets go of the copy's lock). Does nothing after `go`. */
  cancel(): Promise<void>;
}

/** Before the stop: starts the frozen pass's rsync, which connects and then waits for `go`. */
export function startWaitingCopy(ctx: OvzContext, plan: Extract<FinalPassPlan, { kind: "changed" }>): WaitingCopy {
  const number = (ctx.facts.get(OVZ_FACTS.syncPasses) ?? []).length + 1;
  let give!: (text: string) => void;
  const stdin = new Promise<string>((resolve) => (give = resolve));
  ctx.output("source", `final pass ${number}, started before the stop to wait for its list: ${plan.copyChanged}`);
  const result = runPass(ctx, plan.copyChanged, `final pass ${number}: the listed paths`, stdin);
  result.catch(() => undefined); // awaited by changedPass or cancel; a failure before then is theirs to report
  return {
    number,
    result,
    go: () => give(`${GO}\n`),
    cancel: async () => {
      give("");
      await result.catch(() => undefined);
    },
  };
}

/**
 * The frozen pass of changed paths, recorded in the journal like any pass (scope "changed"): lists them,
 * then lets the waiting rsync copy them. Returns null, with the reason shown and the waiting rsync told to
 * copy nothing, when the list cannot be made: the caller then runs a full pass in the same freeze.
 */
export async function changedPass(
  ctx: OvzContext,
  plan: Extract<FinalPassPlan, { kind: "changed" }>,
  waiting: WaitingCopy,
): Promise<SyncPassRecord | null> {
  const source = ctx.host("source");
  const mark = await source.exec(markCommand(FREEZE_MARK), { signal: ctx.signal });
  const started = Date.now();
  const listed = mark.code === 0 ? await source.exec(plan.listChanged, { signal: ctx.signal }) : mark;
  if (listed.code !== 0) {
    ctx.output(
      "source",
      `the list of changed paths could not be made (exit ${listed.code}: ${listed.stderr.trim().split("\n").slice(-2).join(" ")}): a full final pass instead`,
      "stderr",
    );
    await waiting.cancel();
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
    `${count || "?"} paths listed: what changed since the last live pass began${whole} (${parts[0]!.seconds} s); final pass ${waiting.number} copies them`,
  );
  const copyStarted = Date.now();
  waiting.go();
  const result = await waiting.result;
  // The pass's own time is from the list on: before it the rsync only waited, outside the freeze.
  const copied = { ...result, seconds: (Date.now() - copyStarted) / 1000 };
  throwUnlessCopied(copied, `final pass ${waiting.number} (the listed paths)`);
  reportVanished(ctx, copied, "final");
  parts.push({ what: "rsync of the list", seconds: Math.round(copied.seconds * 10) / 10 });
  const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
  const record = passRecord(waiting.number, "final", "quick-check", copied, "changed", parts);
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
