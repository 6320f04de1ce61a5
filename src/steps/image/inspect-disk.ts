import type { Host } from "../../hosts/host.js";
import { warning, type Finding } from "../../engine/finding.js";
import { cmd } from "../../hosts/quote.js";
import { isLockConflict, parseImageInfo, type ImageInfo } from "../../kvm/qemu-img-info.js";

export interface DiskState {
  path: string;
  exists: boolean;
  info?: ImageInfo;
  /** A QEMU process (running VM, qemu-nbd, qemu-io) holds the image's write lock. */
  locked: boolean;
  /** Why qemu-img could not read it at all (not an image, no permission). */
  error?: string;
}

/**
 * Reads an image without disturbing a VM that may be using it: `-U` (force share) gets the info even
 * while locked, and a second open without -U tells whether someone holds the write lock.
 */
export async function inspectDisk(host: Host, path: string, signal?: AbortSignal): Promise<DiskState> {
  const stat = await host.stat(path);
  if (!stat) return { path, exists: false, locked: false };
  const shared = await host.exec(cmd("qemu-img", "info", "-U", "--output=json", path), { signal, timeoutMs: 60_000 });
  if (shared.code !== 0)
    return { path, exists: true, locked: false, error: shared.stderr.trim() || `qemu-img info exited ${shared.code}` };
  const info = parseImageInfo(shared.stdout);
  const exclusive = await host.exec(cmd("qemu-img", "info", "--output=json", path), { signal, timeoutMs: 60_000 });
  return { path, exists: true, info, locked: exclusive.code !== 0 && isLockConflict(exclusive.stderr) };
}

/** `du -B1` per path: the bytes really allocated on the host's filesystem. */
export async function allocatedBytes(
  host: Host,
  paths: string[],
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  if (paths.length === 0) return {};
  const res = await host.exec(cmd("du", "-B1", "--", ...paths), { signal });
  const out: Record<string, number> = {};
  for (const line of res.stdout.split("\n")) {
    const m = /^(\d+)\t(.+)$/.exec(line);
    if (m) out[m[2]!] = Number(m[1]);
  }
  return out;
}

/**
 * A file named .qcow2 that qemu-img reads as another format (raw, for any file it does not recognise): the
 * wrong file, or a copy that went wrong. Said before anything is built on it (found by a new-user trial: a
 * text file named .qcow2 was "raw, 512 B virtual" and Ready).
 */
export function misnamedImageFinding(path: string, format: string | undefined): Finding | undefined {
  if (!/\.qcow2$/i.test(path) || format === undefined || format === "qcow2") return undefined;
  return warning(
    "Not the format its name says",
    `${path} is named .qcow2, but qemu-img reads it as ${format}${format === "raw" ? " (what it calls any file it does not recognise)" : ""}`,
    `check it is the disk you meant: qemu-img info ${path}`,
  );
}
