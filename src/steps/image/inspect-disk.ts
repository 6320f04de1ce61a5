import type { Host } from "../../hosts/host.js";
import { blocker, warning, type Finding } from "../../engine/finding.js";
import { cmd } from "../../hosts/quote.js";
import { isLockConflict, parseBackingChain, parseImageInfo, type ImageInfo } from "../../kvm/qemu-img-info.js";
import { backingFileOf, shownImagePath } from "./chain-path.js";
import { backingLoopFinding, findBackingLoop, isBackingLoopError, type BackingLoop } from "./backing-loop.js";
import { statChainImages, unusableChainFindings, type ChainImage } from "./raw-content.js";

export interface DiskState {
  path: string;
  exists: boolean;
  info?: ImageInfo;
  /** A QEMU process (running VM, qemu-nbd, qemu-io) holds the image's write lock. */
  locked: boolean;
  /** Why qemu-img could not read it at all (not an image, no permission). */
  error?: string;
  /** Its size on the host (lstat): a raw "image" of 0 bytes, or not whole sectors, holds no disk. */
  fileType?: string;
  fileSize?: number;
  /** Its mode (lstat): a disk without a write bit is the base of overlays (what image clone leaves). */
  fileMode?: number;
  /** An overlay whose backing chain qemu-img cannot open (a backing file deleted or moved): qemu-img's words. */
  chainError?: string;
  /** Where its chain turns back on itself, when that is why the chain does not open. */
  backingLoop?: BackingLoop;
  /** Bytes the images below it hold on the host (qemu-img's actual-size of each); 0 without a backing file. */
  belowBytes: number;
  /** The images below it in its backing chain, its backing file first, as shown (empty without one or when it does not open). */
  below: string[];
  /** Every image of its chain that opens, itself first, with what the host says each is (raw-content.ts). */
  images?: ChainImage[];
}

/**
 * Reads an image without disturbing a VM that may be using it: `-U` (force share) gets the info even
 * while locked, and a second open without -U tells whether someone holds the write lock.
 */
export async function inspectDisk(host: Host, path: string, signal?: AbortSignal): Promise<DiskState> {
  const stat = await host.stat(path);
  if (!stat) return { path, exists: false, locked: false, belowBytes: 0, below: [] };
  const file = { fileType: stat.type, fileSize: stat.size, fileMode: stat.mode };
  const shared = await host.exec(cmd("qemu-img", "info", "-U", "--output=json", path), { signal, timeoutMs: 60_000 });
  if (shared.code !== 0)
    return {
      path,
      exists: true,
      locked: false,
      ...file,
      belowBytes: 0,
      below: [],
      error: shared.stderr.trim() || `qemu-img info exited ${shared.code}`,
    };
  const info = parseImageInfo(shared.stdout);
  const exclusive = await host.exec(cmd("qemu-img", "info", "--output=json", path), { signal, timeoutMs: 60_000 });
  const locked = exclusive.code !== 0 && isLockConflict(exclusive.stderr);
  // Without --backing-chain qemu-img opens the top image alone: an overlay whose base is gone still reads
  // fine here, and fails only where the chain is opened (found by a new-user trial: sparsify said Ready).
  const { images, ...chain } = backingFileOf(info)
    ? await readChain(host, path, signal)
    : { belowBytes: 0, below: [], images: [info] };
  return {
    path,
    exists: true,
    info,
    locked,
    ...file,
    ...chain,
    images: await statChainImages(host, images, stat, signal),
  };
}

async function readChain(
  host: Host,
  path: string,
  signal?: AbortSignal,
): Promise<{
  belowBytes: number;
  below: string[];
  images: ImageInfo[];
  chainError?: string;
  backingLoop?: BackingLoop;
}> {
  const res = await host.exec(cmd("qemu-img", "info", "-U", "--backing-chain", "--output=json", path), {
    signal,
    timeoutMs: 60_000,
  });
  if (res.code !== 0) {
    const loop = isBackingLoopError(res.stderr) ? await findBackingLoop(host, path, signal) : undefined;
    return {
      belowBytes: 0,
      below: [],
      images: [],
      chainError: res.stderr.trim() || `qemu-img info --backing-chain exited ${res.code}`,
      ...(loop && { backingLoop: loop }),
    };
  }
  const images = parseBackingChain(res.stdout);
  const below = images.slice(1);
  return {
    belowBytes: below.reduce((sum, image) => sum + (image["actual-size"] ?? 0), 0),
    below: below.map((image) => shownImagePath(image.filename)),
    images,
  };
}

/**
 * Blockers for a file qemu-img opens that no image step can use, said in the dry run instead of failing in
 * the run: an overlay whose backing chain is broken (what `image info` refuses), and a "raw" image anywhere
 * in its chain that holds no disk (raw-content.ts). Both found by new-user trials.
 */
export function unusableDiskFindings(state: DiskState): Finding[] {
  const { path, info } = state;
  const findings: Finding[] = [];
  const backing = backingFileOf(info);
  if (backing && state.chainError && state.backingLoop) findings.push(backingLoopFinding(path, state.backingLoop));
  else if (backing && state.chainError)
    findings.push(
      blocker(
        "Backing file cannot be opened",
        `${path} is an overlay on ${backing}, and qemu-img cannot open its backing chain: ${state.chainError}`,
        `put ${backing} back; if it moved, point the overlay at it: ${cmd("qemu-img", "rebase", "-u", "-F", info?.["backing-filename-format"] ?? "qcow2", "-b", "NEW-PATH", path)}`,
      ),
    );
  return [...findings, ...unusableChainFindings(state.images ?? [])];
}

/**
 * `du -B1 -L` per path: the bytes really allocated on the host's filesystem. -L: a disk named by a symbolic
 * link is measured, not the link (found by a new-user trial: "on disk 0 B").
 */
export async function allocatedBytes(
  host: Host,
  paths: string[],
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  if (paths.length === 0) return {};
  const res = await host.exec(cmd("du", "-B1", "-L", "--", ...paths), { signal });
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
