import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";

export interface FsSpace {
  dir: string;
  availableBytes: number;
  mountPoint: string;
  fsType: string;
}

/** `df -P -T -B1 DIR`: free bytes and the mount the directory lives on (to tell when two dirs share one). */
export async function freeSpace(host: Host, dir: string, signal?: AbortSignal): Promise<FsSpace | null> {
  const res = await host.exec(cmd("df", "-P", "-T", "-B1", "--", dir), { signal });
  if (res.code !== 0) return null;
  const line = res.stdout.trim().split("\n")[1];
  const cols = line?.trim().split(/\s+/);
  if (!cols || cols.length < 7) return null;
  return { dir, fsType: cols[1]!, availableBytes: Number(cols[4]), mountPoint: cols.slice(6).join(" ") };
}

/** The first existing candidate directory with at least `needed` bytes free, for a remediation hint. */
export async function dirWithRoom(host: Host, candidates: string[], needed: number, signal?: AbortSignal): Promise<FsSpace | null> {
  for (const dir of [...new Set(candidates)]) {
    const space = await freeSpace(host, dir, signal);
    if (space && space.availableBytes >= needed && space.fsType !== "tmpfs") return space;
  }
  return null;
}
