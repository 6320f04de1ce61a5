import type { ExcludeEntry } from "../../distro/index.js";
import { authorizedKeysOf, restoreControlKeys, sshOptionsFor } from "../common/access.js";
import { compareTopLinks, readTopLinks, type DirlinkVerdict } from "../common/dirlinks.js";
import { distroOf } from "../common/facts.js";
import { FACT, type OvzContext } from "../common/plan.js";
import { COMMON_EXCLUDES, mergeExcludes } from "../rsync/excludes.js";
import { rsyncCommand } from "../rsync/command.js";
import { runRsyncPass, type PassResult } from "../rsync/pass.js";
import type { TargetIdentity } from "./capture-target.js";

const PASS_TIMEOUT_MS = 24 * 3600_000;

export interface SyncPassRecord {
  pass: number;
  kind: "live" | "final";
  code: number;
  vanished: boolean;
  seconds: number;
  transferredBytes: number;
  deletedFiles: number;
  files: number;
  at: string;
}

export async function excludesFor(ctx: OvzContext): Promise<ExcludeEntry[]> {
  const distro = await distroOf(ctx.host("source"));
  return mergeExcludes(COMMON_EXCLUDES, distro.family?.excludes ?? [], ctx.plan.options.extraExcludes);
}

export async function dirlinkVerdict(ctx: OvzContext): Promise<DirlinkVerdict> {
  return compareTopLinks(await readTopLinks(ctx.host("source")), await readTopLinks(ctx.host("target")));
}

export async function syncCommand(ctx: OvzContext, options: { dryRun?: boolean } = {}): Promise<string> {
  const verdict = await dirlinkVerdict(ctx);
  return rsyncCommand({ from: "/", to: "/", ssh: sshOptionsFor(ctx.plan), excludes: await excludesFor(ctx), keepDirlinks: verdict.keepDirlinks, dryRun: options.dryRun });
}

/**
 * When a cutover finished (db-freeze records it): from then on the target is the production system and
 * may hold newer data than the source, whose services stayed stopped. No copy may run again.
 */
export function cutoverFinishedAt(ctx: OvzContext): string | undefined {
  return ctx.facts.get<{ cutoverAt?: string }>(FACT.databases)?.cutoverAt;
}

export function noCopyAfterCutover(at: string): string {
  return `the cutover finished at ${at}: the target has run as the production system since and may hold newer data than the source; another copy would overwrite it with the source's older files`;
}

/** One pass on the source, recorded in the journal; exit 24 tolerated (files vanish on a live system). */
export async function syncPass(ctx: OvzContext, kind: "live" | "final"): Promise<SyncPassRecord> {
  const cutoverAt = cutoverFinishedAt(ctx);
  if (cutoverAt) throw new Error(`refusing a ${kind} pass: ${noCopyAfterCutover(cutoverAt)}`);
  const passes = ctx.facts.get<SyncPassRecord[]>(FACT.syncPasses) ?? [];
  const number = passes.length + 1;
  const command = await syncCommand(ctx);
  ctx.output("source", `${kind} pass ${number}: ${command}`);
  const result: PassResult = await runRsyncPass(ctx.host("source"), command, `${kind} pass ${number}`, {
    progress: (info) => ctx.progress(info),
    output: (line, stream) => ctx.output("source", line, stream),
    signal: ctx.signal,
  }, { timeoutMs: PASS_TIMEOUT_MS });
  if (result.code !== 0 && result.code !== 24) throw new Error(`rsync ${kind} pass ${number} failed (exit ${result.code}): ${result.stderrTail}. The target keeps what was copied; a rerun sends only what changed`);
  if (result.vanished) {
    // Live passes race a running system; the final pass runs with the databases stopped, so a vanished
    // file there means another writer is still running (cron, a mail spool, an unlisted daemon).
    const why = kind === "final" ? "while the databases were stopped: another service still writes on the source; list it in options.databases so the freeze stops it too" : "(normal on a running system)";
    ctx.output("source", `rsync exit 24: some files vanished during the ${kind} pass ${why}`, "stderr");
  }
  const record: SyncPassRecord = {
    pass: number,
    kind,
    code: result.code,
    vanished: result.vanished,
    seconds: Math.round(result.seconds * 10) / 10,
    transferredBytes: result.stats.transferredFileSize ?? 0,
    deletedFiles: result.stats.deletedFiles ?? 0,
    files: result.stats.files ?? 0,
    at: new Date().toISOString(),
  };
  await ctx.facts.set(FACT.syncPasses, [...passes, record]);
  const identity = ctx.facts.get<TargetIdentity>(FACT.targetIdentity);
  await restoreControlKeys(ctx, [...(identity?.authorizedKeys ?? []), ...(await authorizedKeysOf(ctx.host("source")))]);
  return record;
}
