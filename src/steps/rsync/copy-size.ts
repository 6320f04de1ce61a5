import { acknowledgeable, blocker, warning, type Finding } from "../../engine/finding.js";
import type { OvzBlockerId } from "../../plan/options/openvz-to-kvm.js";
import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import type { ExcludeEntry } from "./excludes.js";
import { rsyncPattern } from "./excludes.js";
import { gib } from "../host/probes.js";

/**
 * The size of what a copy of / moves, measured on the tree itself: `df /` inside a container that shares
 * its node's filesystem (simfs without quota, LXC, nspawn) reports the node's disk. GNU du counts each
 * hard-linked inode once, -x stays on the root filesystem (mounts are not copied either), and every
 * exclude of the copy is left out. Allocated blocks and apparent size both, since sparse files, block
 * size and compression make either one wrong on the other side.
 */
export interface TreeSize {
  allocatedBytes: number;
  apparentBytes: number;
}

export function treeSizeCommand(excludes: ExcludeEntry[], root = "/"): string {
  // The second walk reads inodes the first one just cached.
  return `${allocatedSizeCommand(excludes, root)}; ${cmd("du", "-sx", "-B1", "--apparent-size", ...excludeArgs(excludes), root)}`;
}

/** The allocated size alone: the target's side of the fit needs no apparent size, so one walk, not two. */
export function allocatedSizeCommand(excludes: ExcludeEntry[], root = "/"): string {
  return cmd("du", "-sx", "-B1", ...excludeArgs(excludes), root);
}

const excludeArgs = (excludes: ExcludeEntry[]): string[] => excludes.map((e) => `--exclude=${rsyncPattern(e.path)}`);

/** The totals du printed ("BYTES\t/" lines), in order. du exits 1 over an unreadable file but still prints them. */
async function duTotals(host: Host, command: string, signal?: AbortSignal): Promise<number[]> {
  // a whole tree on a slow disk: an hour, not the default
  const result = await host.exec(command, { signal, timeoutMs: 3600_000 });
  return result.stdout
    .split("\n")
    .map((l) => /^(\d+)\s/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
}

/** Allocated bytes and apparent size of the tree under / without the excludes; null unless du printed both. */
export async function measureTree(
  host: Host,
  excludes: ExcludeEntry[],
  signal?: AbortSignal,
): Promise<TreeSize | null> {
  const totals = await duTotals(host, treeSizeCommand(excludes), signal);
  return totals.length === 2 ? { allocatedBytes: totals[0]!, apparentBytes: totals[1]! } : null;
}

/** The allocated bytes of the tree under / without the excludes (allocatedSizeCommand); null when du printed no total. */
export async function measureAllocated(
  host: Host,
  excludes: ExcludeEntry[],
  signal?: AbortSignal,
): Promise<number | null> {
  const totals = await duTotals(host, allocatedSizeCommand(excludes), signal);
  return totals.length === 1 ? totals[0]! : null;
}

export const HOW_MEASURED = "du -sx over /, the copy's excludes left out, hard links counted once";

/** Below this share of the room the copy fits without a warning. */
const TIGHT = 0.9;

/**
 * Whether the copy fits in the target's free space alone, without a warning: then the target's own files
 * (which the copy replaces, making room) need not be measured, a walk of its whole root.
 */
export function fitsInFreeSpace(source: TreeSize, targetFreeBytes: number): boolean {
  return Math.max(source.allocatedBytes, source.apparentBytes) <= targetFreeBytes * TIGHT;
}

/**
 * Will the copy fit? The target can hold its free space plus its own files the copy replaces or deletes
 * (the same du on the target: everything but the excludes, which stay; undefined when not measured because
 * the free space alone holds the copy). A blocker only when even the smaller of the two source figures does
 * not fit; a warning, with the figures, when the larger one is close.
 */
export function copyFitFindings(
  source: TreeSize,
  targetFreeBytes: number,
  targetReplacedBytes: number | undefined,
): { findings: Finding[]; detail: string } {
  const capacity = targetFreeBytes + (targetReplacedBytes ?? 0);
  const low = Math.min(source.allocatedBytes, source.apparentBytes);
  const high = Math.max(source.allocatedBytes, source.apparentBytes);
  const need = `the copy holds ${gib(source.allocatedBytes)} allocated, ${gib(source.apparentBytes)} apparent (${HOW_MEASURED})`;
  const room =
    targetReplacedBytes === undefined
      ? `the target has ${gib(targetFreeBytes)} free, which holds it (its own files, which the copy replaces and which would make room, were not walked with du: not needed)`
      : `the target can hold ${gib(capacity)}: ${gib(targetFreeBytes)} free plus ${gib(targetReplacedBytes)} of its own files the copy replaces`;
  const detail = `disk: ${need}; ${room}`;
  if (low > capacity)
    return {
      findings: [
        acknowledgeable(
          "target-disk-too-small" satisfies OvzBlockerId,
          blocker(
            "Target disk too small",
            `${need}; ${room}`,
            "grow the target's disk and filesystem, or exclude data the VM does not need (options.extraExcludes), then check again",
            "target",
          ),
        ),
      ],
      detail,
    };
  if (high > capacity * TIGHT)
    return {
      findings: [warning("Target disk tight", `${need}; ${room}`, "grow the target's disk to be safe", "target")],
      detail,
    };
  return { findings: [], detail };
}
