import type { ExcludeEntry } from "../../distro/index.js";
import type { z } from "zod";
import type { PlannedCommand } from "../../engine/step.js";
import { execOk } from "../../hosts/host.js";
import { authorizedKeysOf, authorizeKeysCommand, sshOptionsFor } from "../ssh-access/migration-key.js";
import { compareTopLinks, readTopLinks, type DirlinkVerdict } from "../host/dirlinks.js";
import { distroOf } from "../host/probes.js";
import { readNetworkFiles } from "../network/network-files.js";
import type { OvzContext } from "./plan.js";
import { COMMON_EXCLUDES, mergeExcludes } from "../rsync/excludes.js";
import { mountExcludes, mountsToExclude, readSourceMounts, type SourceMount } from "../rsync/mounts.js";
import { rsyncCommand, type RsyncCommandOptions } from "../rsync/command.js";
import { withLiveMark } from "../rsync/changed-since.js";
import { chooseCompression, probeRsyncBuilds, type CompressionChoice, type RsyncBuilds } from "../rsync/compression.js";
import { chooseTimePrecision, type TimePrecision } from "../rsync/time-precision.js";
import { lockedRsync } from "../rsync/lock.js";
import { runRsyncPass, type PassResult } from "../rsync/pass.js";
import { RSYNC_LOCK } from "./rsync-lock.js";
import { OVZ_FACTS, type compareModeSchema, type syncPassSchema } from "./facts.js";

const PASS_TIMEOUT_MS = 24 * 3600_000;
export { RSYNC_LOCK } from "./rsync-lock.js";

/** Declared with its shape in facts.ts. */
export type SyncPassRecord = z.infer<typeof syncPassSchema>;

export type CompareMode = z.infer<typeof compareModeSchema>;

/**
 * Until one pass has completed, the target's files are the fresh VM's: a size and mtime that match say
 * nothing, so rsync compares content (--checksum). Chosen over --ignore-times, which rewrites every file
 * on the target even when identical; --checksum reads both sides once and writes only what differs.
 * After a completed pass the target carries the source's mtimes and the quick check is sound.
 */
export function compareModeFor(passes: SyncPassRecord[]): CompareMode {
  return passes.length === 0 ? "checksum" : "quick-check";
}

export const describeCompare = (mode: CompareMode | undefined): string =>
  mode === "checksum" ? "content compared (--checksum)" : "quick check (size and mtime)";

export async function excludesFor(ctx: OvzContext): Promise<ExcludeEntry[]> {
  return (await excludesAndMounts(ctx)).excludes;
}

/**
 * The copy's excludes, plus one per filesystem mounted inside the source that none covers yet (bind
 * mounts, NFS, ...). Read at every probe, and the runner probes again just before run: a filesystem
 * mounted since an earlier step's passes is left out of the next step's.
 * `mounts` is null when /proc/self/mountinfo could not be read.
 */
export function excludesAndMounts(ctx: OvzContext): Promise<CopyLayout> {
  return copyLayouts(ctx).withVmNetwork;
}

/**
 * Both layouts from one read of the source: `tree` leaves out the VM's own network files, and is what the
 * trees' sizes are measured with (those files are a few KB and the target's answer is needed to name them,
 * slow on a slow target, so the measurements need not wait); `withVmNetwork` is the copy's.
 */
export function copyLayouts(ctx: OvzContext): { tree: Promise<CopyLayout>; withVmNetwork: Promise<CopyLayout> } {
  const source = Promise.all([distroOf(ctx.host("source")), readSourceMounts(ctx.host("source"), ctx.signal)]);
  const tree = source.then(([distro, mounts]) => layoutOf(ctx, distro, mounts, []));
  const withVmNetwork = Promise.all([source, vmNetworkExcludes(ctx)]).then(([[distro, mounts], vmNetwork]) =>
    layoutOf(ctx, distro, mounts, vmNetwork),
  );
  // A caller may want only one of them (excludesAndMounts): the other must not end the process as an
  // unhandled rejection when the source cannot be read. A caller that awaits it still gets the error.
  tree.catch(() => undefined);
  withVmNetwork.catch(() => undefined);
  return { tree, withVmNetwork };
}

interface CopyLayout {
  excludes: ExcludeEntry[];
  mounts: SourceMount[] | null;
}

function layoutOf(
  ctx: OvzContext,
  distro: Awaited<ReturnType<typeof distroOf>>,
  all: Awaited<ReturnType<typeof readSourceMounts>>,
  vmNetwork: ExcludeEntry[],
): CopyLayout {
  const base = mergeExcludes(COMMON_EXCLUDES, distro.family?.excludes ?? [], vmNetwork, ctx.plan.options.extraExcludes);
  const mounts = all === null ? null : mountsToExclude(all, base);
  return { excludes: mergeExcludes(base, mountExcludes(mounts ?? [])), mounts };
}

const VM_NETWORK_REASON =
  "the VM's own network config, kept through every pass: a VM restarted before network-fixup still comes up on its network";

/**
 * The VM's network files, left alone by every pass (network-fixup restores them anyway): were the copy to
 * bring the container's venet config over them, a VM restarted before network-fixup (a crash, an admin, a
 * host reboot) would come up unreachable and the resumed run could not reach it. Read from what
 * capture-target recorded; before that (a dry run) from the target itself.
 */
async function vmNetworkExcludes(ctx: OvzContext): Promise<ExcludeEntry[]> {
  const captured = ctx.facts.get(OVZ_FACTS.targetIdentity)?.network;
  const paths = captured ? captured.map((file) => file.path) : await readTargetNetworkPaths(ctx);
  return paths.map((path) => ({ path, reason: VM_NETWORK_REASON }));
}

async function readTargetNetworkPaths(ctx: OvzContext): Promise<string[]> {
  const family = (await distroOf(ctx.host("target"))).family;
  if (!family) return [];
  return (await readNetworkFiles(ctx.host("target"), family, ctx.signal)).map((file) => file.path);
}

export async function dirlinkVerdict(ctx: OvzContext): Promise<DirlinkVerdict> {
  const [source, target] = await Promise.all([readTopLinks(ctx.host("source")), readTopLinks(ctx.host("target"))]);
  return compareTopLinks(source, target);
}

/**
 * One copy as planned: how its first pass compares files, the rsync commands, and the root keys put back
 * on the target after each pass.
 */
export interface PassPlan {
  /** How the first pass of this plan compares: content until one pass has completed, then size and mtime. */
  compare: CompareMode;
  /** The first pass's command (with --checksum when compare is "checksum"). */
  rsync: string;
  /** The passes after the first: the quick check (the same command as rsync when compare is already "quick-check"). */
  laterRsync: string;
  /** authorizeKeysCommand of the target's own root keys and the source's; null when there are none. */
  restoreKeys: string | null;
  /** zstd, zlib or none, as both ends' rsync allow: its flags are in rsync and laterRsync. */
  compression: CompressionChoice;
  /** Whether the quick check compares nanoseconds (both ends' rsync allow it): the flag is in every pass. */
  timePrecision: TimePrecision;
}

/** `rsyncBuilds`: both ends' rsync builds, when the caller asked for them early (a probe's other reads take long). */
export async function passPlan(
  ctx: OvzContext,
  build?: SyncCommandBuilder,
  rsyncBuilds?: Promise<RsyncBuilds>,
): Promise<PassPlan> {
  const identity = ctx.facts.get(OVZ_FACTS.targetIdentity);
  const [sourceKeys, builds] = await Promise.all([
    authorizedKeysOf(ctx.host("source")),
    rsyncBuilds ?? probeRsyncBuilds(ctx.host("source"), ctx.host("target"), ctx.signal),
  ]);
  const keys = [...(identity?.authorizedKeys ?? []), ...sourceKeys];
  // Recorded passes are completed ones (a failed pass throws before it is recorded).
  const compare = compareModeFor(ctx.facts.get(OVZ_FACTS.syncPasses) ?? []);
  const compression = chooseCompression(builds.source, builds.target);
  const timePrecision = chooseTimePrecision(builds.source, builds.target);
  const flags = { compress: compression.flags, exactTimes: timePrecision.exact };
  const command = build ?? (await syncCommandBuilder(ctx));
  const rsync = lockedRsync(RSYNC_LOCK, command({ compare, ...flags }));
  const laterRsync =
    compare === "checksum" ? lockedRsync(RSYNC_LOCK, command({ compare: "quick-check", ...flags })) : rsync;
  return { compare, rsync, laterRsync, restoreKeys: authorizeKeysCommand(keys), compression, timePrecision };
}

/** The command and compare mode of the next pass under `plan`, given the passes completed so far. */
export function nextPass(plan: PassPlan, completed: SyncPassRecord[]): { command: string; compare: CompareMode } {
  return plan.compare === "checksum" && completed.length === 0
    ? { command: plan.rsync, compare: "checksum" }
    : { command: plan.laterRsync, compare: "quick-check" };
}

/** What the passes run, in order. */
export function passCommands(
  plan: PassPlan,
  purpose: string,
  options: { live?: boolean; when?: string } = {},
): PlannedCommand[] {
  const later = plan.laterRsync !== plan.rsync;
  const shown = (command: string): string => (options.live ? withLiveMark(command) : command);
  const commands: PlannedCommand[] = [
    {
      host: "source",
      command: shown(plan.rsync),
      purpose: later ? `${purpose}; first pass: ${describeCompare(plan.compare)}` : purpose,
    },
    ...(later
      ? [
          {
            host: "source",
            command: shown(plan.laterRsync),
            purpose: `passes after the first: ${describeCompare("quick-check")}`,
          },
        ]
      : []),
    ...(plan.restoreKeys
      ? [
          {
            host: "target",
            command: plan.restoreKeys,
            purpose: "after each pass: root's keys on the target (its own, and the source's admins'), each added once",
          },
        ]
      : []),
  ];
  return options.when === undefined ? commands : commands.map((c) => ({ ...c, when: options.when }));
}

/** Builds the copy's rsync commands; everything they share (excludes, mounts, the dirlink verdict) read once. */
export type SyncCommandBuilder = (
  options?: {
    dryRun?: boolean;
    compare?: CompareMode;
    compress?: string[];
  } & Pick<RsyncCommandOptions, "filesFrom" | "listDifferences" | "exactTimes" | "ignoreTimes" | "sshSharedConnection">,
) => string;

/** `layout`: the copy's layout when the caller has read it already (a probe that also reports it). */
export async function syncCommandBuilder(ctx: OvzContext, layout?: Promise<CopyLayout>): Promise<SyncCommandBuilder> {
  const verdict = await dirlinkVerdict(ctx);
  const excludes = layout ? (await layout).excludes : await excludesFor(ctx);
  const ssh = sshOptionsFor(ctx.plan);
  return ({ compare, ...rest } = {}) =>
    rsyncCommand({
      from: "/",
      to: "/",
      ssh,
      excludes,
      keepDirlinks: verdict.keepDirlinks,
      compareContent: compare === "checksum",
      ...rest,
    });
}

/**
 * When a cutover finished (db-freeze records it): from then on the target is the production system and
 * may hold newer data than the source, whose services stayed stopped. No copy may run again.
 */
export function cutoverFinishedAt(ctx: OvzContext): string | undefined {
  return ctx.facts.get(OVZ_FACTS.databases)?.cutoverAt;
}

export function noCopyAfterCutover(at: string): string {
  return `the cutover finished at ${at}: the target has run as the production system since and may hold newer data than the source; another copy would overwrite it with the source's older files`;
}

/**
 * One pass on the source, recorded in the journal; exit 24 tolerated (files vanish on a live system).
 * A live pass marks its start on the source (changed-since.ts): once it completes, the frozen pass need
 * copy only what changed after that mark. `restoreKeys: false` leaves root's keys on the target to the
 * caller (db-freeze puts them back after the thaw, outside the freeze window).
 */
export async function syncPass(
  ctx: OvzContext,
  kind: "live" | "final",
  plan: PassPlan,
  options: { restoreKeys?: boolean } = {},
): Promise<SyncPassRecord> {
  const cutoverAt = cutoverFinishedAt(ctx);
  if (cutoverAt) throw new Error(`refusing a ${kind} pass: ${noCopyAfterCutover(cutoverAt)}`);
  const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
  const number = passes.length + 1;
  const next = nextPass(plan, passes);
  const { compare } = next;
  const command = kind === "live" ? withLiveMark(next.command) : next.command;
  ctx.output("source", `${kind} pass ${number} (${describeCompare(compare)}): ${command}`);
  const result = await runPass(ctx, command, `${kind} pass ${number}`);
  throwUnlessCopied(result, `${kind} pass ${number}`);
  reportVanished(ctx, result, kind);
  const record = passRecord(number, kind, compare, result);
  await ctx.facts.set(OVZ_FACTS.syncPasses, [...passes, record]);
  if (plan.restoreKeys && options.restoreKeys !== false)
    await execOk(ctx.host("target"), plan.restoreKeys, { signal: ctx.signal });
  return record;
}

/**
 * One rsync run on the source with progress and output going to the step. `stdin`: for a pass started before
 * its list of paths is known (short-freeze.ts's waiting copy).
 */
export function runPass(ctx: OvzContext, command: string, label: string, stdin?: Promise<string>): Promise<PassResult> {
  return runRsyncPass(
    ctx.host("source"),
    command,
    label,
    {
      progress: (info) => ctx.progress(info),
      output: (line, stream) => ctx.output("source", line, stream),
      signal: ctx.signal,
    },
    { timeoutMs: PASS_TIMEOUT_MS, stdin },
  );
}

export function throwUnlessCopied(result: PassResult, label: string): void {
  if (result.code !== 0 && result.code !== 24)
    throw new Error(
      `rsync ${label} failed (exit ${result.code}): ${result.stderrTail}. The target keeps what was copied; a rerun sends only what changed`,
    );
}

export function reportVanished(ctx: OvzContext, result: PassResult, kind: "live" | "final"): void {
  if (!result.vanished) return;
  // Live passes race a running system; the final pass runs with the databases stopped, so a vanished
  // file there means another writer is still running (cron, a mail spool, an unlisted daemon).
  const why =
    kind === "final"
      ? "while the databases were stopped: another service still writes on the source; list it in options.databases so the freeze stops it too"
      : "(normal on a running system)";
  ctx.output("source", `rsync exit 24: some files vanished during the ${kind} pass ${why}`, "stderr");
}

/** The journal's record of a pass (one rsync run), with the parts of a pass of several commands. */
export function passRecord(
  number: number,
  kind: "live" | "final",
  compare: CompareMode,
  result: PassResult,
  scope?: SyncPassRecord["scope"],
  parts?: SyncPassRecord["parts"],
): SyncPassRecord {
  return {
    pass: number,
    kind,
    code: result.code,
    vanished: result.vanished,
    seconds: Math.round(result.seconds * 10) / 10,
    transferredBytes: result.stats.transferredFileSize ?? 0,
    deletedFiles: result.stats.deletedFiles ?? 0,
    files: result.stats.files ?? 0,
    at: new Date().toISOString(),
    compare,
    ...(scope ? { scope } : {}),
    ...(parts ? { parts } : {}),
  };
}
