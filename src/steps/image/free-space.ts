import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";
import { parseDf } from "../host/df.js";

export interface FsSpace {
  dir: string;
  availableBytes: number;
  mountPoint: string;
  fsType: string;
}

/** `df -P -T -B1 DIR`: free bytes and the mount the directory lives on (to tell when two dirs share one). */
export async function freeSpace(host: Host, dir: string, signal?: AbortSignal): Promise<FsSpace | null> {
  const res = await host.exec(cmd("df", "-P", "-T", "-B1", "--", dir), { signal });
  const row = res.code === 0 ? parseDf(res.stdout) : null;
  return row && { dir, fsType: row.fsType ?? "", availableBytes: row.availableBytes, mountPoint: row.mountPoint };
}

/** The first existing candidate directory with at least `needed` bytes free, for a remediation hint. */
export async function dirWithRoom(
  host: Host,
  candidates: string[],
  needed: number,
  signal?: AbortSignal,
): Promise<FsSpace | null> {
  for (const dir of [...new Set(candidates)]) {
    const space = await freeSpace(host, dir, signal);
    if (space && space.availableBytes >= needed && space.fsType !== "tmpfs") return space;
  }
  return null;
}
