import { blocker, type Finding } from "../../engine/finding.js";
import type { FactStore } from "../../engine/step.js";
import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { formatBytes } from "../../render/format.js";
import type { CloneOptions, CloneTarget } from "../../plan/options/image-clone.js";
import { CLONE_FACTS } from "./facts.js";

/**
 * The clones this journal put in place (its `placed` fact; `overlays` for a journal written before it existed):
 * on a resumed run, an overlay of the base at one of these names is its own, kept as it is.
 */
export function placedByThisJournal(facts: FactStore, options: CloneOptions): Set<string> {
  const recorded = facts.get(CLONE_FACTS.overlays);
  return new Set([
    ...(facts.get(CLONE_FACTS.placed) ?? []),
    ...(recorded?.base === options.base ? recorded.paths : []),
  ]);
}

/** Bytes an overlay holds of its own (depth 0 in qemu-img map): what was written to it since it was made. */
async function ownWrites(host: Host, path: string, signal: AbortSignal): Promise<number | undefined> {
  const res = await host.exec(cmd("qemu-img", "map", "-U", "--output=json", path), { signal });
  if (res.code !== 0) return undefined;
  try {
    const extents = JSON.parse(res.stdout) as Array<{ length?: number; depth?: number }>;
    return extents.reduce((sum, e) => sum + (e.depth === 0 ? (e.length ?? 0) : 0), 0);
  } catch {
    return undefined;
  }
}

/**
 * An overlay of the base already at a clone's name that this run did not make (by hand, another run): it may
 * hold another VM's writes, and the admin asked for fresh clones, so it blocks rather than count as one
 * (new-user trial 12: `--count 3` made app1 and app3 beside a hand-made app2 and said "Clones created").
 */
export async function overlayNotMadeHere(host: Host, target: CloneTarget, signal: AbortSignal): Promise<Finding> {
  const written = await ownWrites(host, target.path, signal);
  const holds =
    written === undefined
      ? "what it holds could not be read"
      : written === 0
        ? "nothing written to it yet"
        : `${formatBytes(written)} written to it`;
  return blocker(
    "Clone name holds an overlay already",
    `${target.path} is already an overlay of the base (${holds}), and this run did not make it; it would be kept as it is, not made again, so it blocks instead`,
    `choose another --start or --name for fresh clones, or remove it if no VM uses it: ${cmd("rm", "--", target.path)}`,
  );
}
