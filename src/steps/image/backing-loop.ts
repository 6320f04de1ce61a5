import type { Host } from "../../hosts/host.js";
import { blocker, type Finding } from "../../engine/finding.js";
import { cmd } from "../../hosts/quote.js";
import { parseImageInfo } from "../../kvm/qemu-img-info.js";
import { backingFileOf } from "./chain-path.js";

/** Where a backing chain turns back on itself: `image` names `backing`, which is above it in the chain. */
export interface BackingLoop {
  image: string;
  backing: string;
  /** The format `image`'s header gives its backing file, for the rebase that breaks the loop. */
  backingFormat: string;
}

/** qemu-img's words (block.c) when a chain comes back to an image it opened already. */
export const isBackingLoopError = (stderr: string): boolean => /creates an infinite loop/.test(stderr);

/** Chains deeper than this are not walked: qemu itself refuses far shorter ones. */
const MAX_DEPTH = 64;

/**
 * Follows a chain one header at a time (qemu-img opens each image alone, which a loop does not stop) to the
 * image whose backing file is already in it. Undefined when no loop is found that way.
 */
export async function findBackingLoop(host: Host, top: string, signal?: AbortSignal): Promise<BackingLoop | undefined> {
  const seen = [top];
  for (let current = top; seen.length <= MAX_DEPTH;) {
    const res = await host.exec(cmd("qemu-img", "info", "-U", "--output=json", current), { signal, timeoutMs: 60_000 });
    if (res.code !== 0) return undefined;
    const info = parseImageInfo(res.stdout);
    const backing = backingFileOf(info);
    if (backing === undefined) return undefined;
    if (seen.includes(backing))
      return { image: current, backing, backingFormat: info["backing-filename-format"] ?? "qcow2" };
    seen.push(backing);
    current = backing;
  }
  return undefined;
}

/** Both images exist, so "put it back" would be wrong advice (a new-user trial's la.qcow2 ↔ lb.qcow2). */
export function backingLoopFinding(top: string, loop: BackingLoop): Finding {
  return blocker(
    "The backing chain is a loop",
    `${loop.image} names ${loop.backing} as its backing file, but ${loop.backing} is above it in ${top}'s chain: qemu-img cannot open a chain that comes back on itself`,
    `break the loop: point ${loop.image} at the image it was made from (BASE): ${cmd("qemu-img", "rebase", "-u", "-F", loop.backingFormat, "-b", "BASE", loop.image)}`,
  );
}
