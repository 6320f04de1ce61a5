import type { ProgressInfo } from "../../engine/events.js";

/**
 * One `--info=progress2` line, as rsync 3.1+ prints it:
 *   "    134,217,728  48%   25.61MB/s    0:00:05 (xfr#3, to-chk=12/40)"
 * (ir-chk while the incremental file list is still growing; the parenthesis only after a file completes).
 * Returns null for anything else (stats, itemized changes, warnings).
 */
const LINE =
  /^\s*([\d,]+)\s+(\d{1,3})%\s+([\d.]+)([kMGT]?B)\/s\s+(\d+):(\d{2}):(\d{2})(?:\s+\(xfr#(\d+),\s+(ir|to)-chk=(\d+)\/(\d+)\))?\s*$/;

const UNIT: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

export interface Progress2 extends ProgressInfo {
  /** Files transferred so far (xfr#). */
  transferred?: number;
  /** False while rsync is still building the file list (ir-chk): totals may grow. */
  listComplete?: boolean;
}

export function parseProgress2(line: string): Progress2 | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const bytesDone = Number(m[1]!.replace(/,/g, ""));
  const percent = Math.min(100, Number(m[2]));
  const rateBytesPerSec = Math.round(Number(m[3]) * (UNIT[m[4]!] ?? 1));
  const etaSec = Number(m[5]) * 3600 + Number(m[6]) * 60 + Number(m[7]);
  const info: Progress2 = { bytesDone, percent, rateBytesPerSec, etaSec };
  if (percent > 0) info.bytesTotal = Math.max(bytesDone, Math.round((bytesDone * 100) / percent));
  if (m[8] !== undefined) {
    const remaining = Number(m[10]);
    const total = Number(m[11]);
    info.transferred = Number(m[8]);
    info.listComplete = m[9] === "to";
    info.filesTotal = total;
    info.filesChecked = Math.max(0, total - remaining);
  }
  return info;
}

/** The numbers `--stats` prints at the end of a pass that the pipeline decides on. */
export interface RsyncStats {
  files?: number;
  createdFiles?: number;
  deletedFiles?: number;
  regularFilesTransferred?: number;
  totalFileSize?: number;
  /** Sum of the sizes of the files that changed: what "changed data" means for convergence. */
  transferredFileSize?: number;
  literalData?: number;
}

const STATS: Array<[keyof RsyncStats, RegExp]> = [
  ["files", /^Number of files: ([\d,]+)/m],
  ["createdFiles", /^Number of created files: ([\d,]+)/m],
  ["deletedFiles", /^Number of deleted files: ([\d,]+)/m],
  ["regularFilesTransferred", /^Number of regular files transferred: ([\d,]+)/m],
  ["totalFileSize", /^Total file size: ([\d,]+) bytes/m],
  ["transferredFileSize", /^Total transferred file size: ([\d,]+) bytes/m],
  ["literalData", /^Literal data: ([\d,]+) bytes/m],
];

export function parseStats(output: string): RsyncStats {
  const stats: RsyncStats = {};
  for (const [key, re] of STATS) {
    const m = re.exec(output);
    if (m) stats[key] = Number(m[1]!.replace(/,/g, ""));
  }
  return stats;
}

/** An `--itemize-changes` line of a file --delete removes (or, in a dry run, would): "*deleting   path". */
export const isDeletion = (line: string): boolean => line.startsWith("*deleting ");

/** The `--itemize-changes` deletions in a whole output. */
export function countDeletions(output: string): number {
  return output.split("\n").filter(isDeletion).length;
}

/** rsync exit codes worth a sentence (rsync(1) EXIT VALUES). */
export function describeRsyncExit(code: number): string {
  const known: Record<number, string> = {
    0: "success",
    1: "syntax or usage error",
    2: "protocol incompatibility",
    3: "errors selecting input/output files",
    5: "error starting client-server protocol",
    10: "error in socket I/O",
    11: "error in file I/O",
    12: "error in rsync protocol data stream",
    20: "received SIGUSR1 or SIGINT",
    23: "partial transfer due to error",
    24: "partial transfer due to vanished source files",
    30: "timeout in data send/receive",
    35: "timeout waiting for daemon connection",
    75: "the copy's lock could not be taken (see the message above)",
    127: "rsync or ssh not found",
    255: "ssh connection failed",
  };
  return known[code] ?? `exit ${code}`;
}
