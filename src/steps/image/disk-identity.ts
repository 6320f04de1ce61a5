import type { Host } from "../../hosts/host.js";
import { cmd, raw, sh } from "../../hosts/quote.js";

/**
 * What says a disk is the one virt-sparsify read: device, inode, size, and the times of its last data and
 * metadata change (nanoseconds, as GNU stat prints them). Reading the disk changes none of them; a write,
 * a truncate, a chmod or another file put in its place changes at least one.
 */
const IDENTITY_FORMAT = "%d %i %s %y %z";

/**
 * `stat -L -c FORMAT` of `path` (the file a link points to), in UTC: stat prints the times in the caller's
 * zone, and a resumed run (or an undo run by the next run) may come from a shell with another TZ.
 */
export const statInUtcCommand = (path: string, format: string): string =>
  cmd("env", "TZ=UTC0", "stat", "-L", "-c", format, "--", path);

/** The command that prints the identity of `disk` (the file a link points to, as virt-sparsify opens it). */
export const diskIdentityCommand = (disk: string): string => statInUtcCommand(disk, IDENTITY_FORMAT);

/** The identity of `disk` now, or undefined when it cannot be read (gone, no permission). */
export async function diskIdentity(host: Host, disk: string, signal?: AbortSignal): Promise<string | undefined> {
  const res = await host.exec(diskIdentityCommand(disk), { signal });
  return res.code === 0 && res.stdout.trim() !== "" ? res.stdout.trim() : undefined;
}

/**
 * What says a file is the sparsified copy --replace moved onto the disk's name: device, inode, size and the
 * time of its last data change. Not its ctime: the chown and chmod before the `mv`, and the rename itself,
 * change that.
 */
const COPY_IDENTITY_FORMAT = "%d %i %s %y";

/** The copy's identity (COPY_IDENTITY_FORMAT) of the file at `path` now, or undefined when it cannot be read. */
export async function copyIdentity(host: Host, path: string, signal?: AbortSignal): Promise<string | undefined> {
  const res = await host.exec(statInUtcCommand(path, COPY_IDENTITY_FORMAT), { signal });
  return res.code === 0 && res.stdout.trim() !== "" ? res.stdout.trim() : undefined;
}

/** Exit code of the replace command when the disk is no longer the one that was read (EX_DATAERR). */
export const DISK_CHANGED_EXIT = 65;

/**
 * A shell test run right before the disk is replaced: the window between the probe (or the gate) and the
 * `mv` is where a VM started meanwhile, or a hand-made write, would otherwise be lost.
 */
export function sameDiskTest(disk: string, identity: string): string {
  const now = raw(`"$(${diskIdentityCommand(disk)})"`);
  const why = `mudanza: ${disk} changed since virt-sparsify read it`;
  return sh`{ test ${now} = ${identity} || { echo ${why} >&2; exit ${DISK_CHANGED_EXIT}; }; }`;
}
