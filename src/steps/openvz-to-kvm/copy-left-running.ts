import { warning, type Finding } from "../../engine/finding.js";
import type { Host } from "../../hosts/host.js";
import { lockHoldersCommand, parseLockHolders } from "../rsync/lock.js";
import { RSYNC_LOCK } from "./rsync-lock.js";

/**
 * An rsync an earlier run left copying on the source (a kill of the CLI ends its session, not the rsync), found
 * read-only by the copy's lock: the next pass stops it (lockedRsync), a dry run only says so, with its pid.
 * Nothing when the lock's pid file is absent (no pass ever ran) or its command cannot run.
 */
export async function copyLeftRunning(source: Host, signal?: AbortSignal): Promise<Finding | undefined> {
  if ((await source.stat(`${RSYNC_LOCK}.pid`)) === null) return undefined;
  const found = await source.exec(lockHoldersCommand(RSYNC_LOCK), { signal });
  const pids = found.code === 0 ? parseLockHolders(found.stdout) : [];
  if (pids.length === 0) return undefined;
  const named = `${pids.length === 1 ? "pid" : "pids"} ${pids.join(", ")}`;
  return warning(
    "A copy is still running on the source",
    `rsync (${named}) still holds ${RSYNC_LOCK} and copies onto the target: an earlier run of this plan started it and was killed (or that run is still going). \`mudanza run\` stops it before its first pass; these checks only read, and leave it running`,
    `nothing to change; to stop it now, on the source: kill ${pids.join(" ")}`,
    "source",
  );
}
