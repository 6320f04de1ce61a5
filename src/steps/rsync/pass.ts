import type { ProgressInfo } from "../../engine/events.js";
import type { Host } from "../../hosts/host.js";
import { describeRsyncExit, isDeletion, parseStats, type Progress2, type RsyncStats } from "./progress.js";
import { RsyncStdoutReader } from "./stdout-reader.js";

export interface PassSinks {
  progress(info: ProgressInfo): void;
  output(line: string, stream: "stdout" | "stderr"): void;
  signal?: AbortSignal;
}

export interface PassResult {
  code: number;
  /** Exit 24: files vanished while copying a live system (tolerated, like vzmigrate). */
  vanished: boolean;
  stats: RsyncStats;
  deletions: number;
  seconds: number;
  stderrTail: string;
}

/** Progress events at most this often: a big tree prints thousands of progress2 lines a second. */
const PROGRESS_EVERY_MS = 250;

/**
 * What of rsync's stdout the result keeps: the --stats block at its end is about 1 KiB. A pass over a
 * million files prints some 75 MB of progress records, which must not pile up in the CLI's memory; lines
 * are read (and deletions counted) as they come.
 */
const STDOUT_TAIL_CHARS = 64 * 1024;

/**
 * rsync's stdout is read at most this often (ExecOptions.stdoutBatchMs): a record per file copied, each
 * flushed, would otherwise wake the CLI thousands of times a second, on cores rsync and ssh keep busy.
 * Short, because rsync blocks once the command's stdout buffer is full, and that comes soon: node gives a
 * child a socketpair, whose buffer (net.core.wmem_default, 208 KiB) is charged about 1 KiB per small write,
 * so some 200 progress records fill it. Paused for 20 ms, a 200,000-file copy to tmpfs took 15.4 s against
 * bare rsync's 4.3 s; paused for 2 ms, 4.2-4.6 s with 0.9 s less CPU than reading as it comes (bench
 * copy-overhead). Far below PROGRESS_EVERY_MS, so no progress event comes later for it.
 */
const STDOUT_BATCH_MS = 2;

/**
 * Runs one rsync pass on `host` (the source, pushing), turning the newest progress2 record into a progress
 * event at most every PROGRESS_EVERY_MS and everything else into output lines. Itemized lines of a dry run are counted, not echoed.
 */
export async function runRsyncPass(
  host: Host,
  command: string,
  label: string,
  sinks: PassSinks,
  options: { timeoutMs?: number; quietItems?: boolean; stdin?: Promise<string> } = {},
): Promise<PassResult> {
  const started = Date.now();
  let lastEmit = 0;
  let lastProgress: ProgressInfo | null = null;
  let deletions = 0;
  const stdout = new RsyncStdoutReader((line) => {
    if (line.trim() === "") return;
    if (isDeletion(line)) deletions++;
    if (options.quietItems && /^([<>ch.*][fdLDSp+.]|\*deleting )/.test(line)) return;
    sinks.output(line, "stdout");
  });
  const result = await host.exec(command, {
    timeoutMs: options.timeoutMs,
    signal: sinks.signal,
    stdin: options.stdin,
    stdoutTailChars: STDOUT_TAIL_CHARS,
    stdoutBatchMs: STDOUT_BATCH_MS,
    onStdoutText: (text) => {
      stdout.push(text);
      // Only the newest progress record is parsed, and only when an event is due: not once per file.
      const now = Date.now();
      if (now - lastEmit < PROGRESS_EVERY_MS) return;
      const progress = stdout.takeProgress();
      if (!progress) return;
      lastEmit = now;
      lastProgress = progressInfo(label, progress);
      sinks.progress(lastProgress);
    },
    onStderr: (line) => sinks.output(line, "stderr"),
  });
  stdout.end();
  const last = stdout.takeProgress();
  if (last) lastProgress = progressInfo(label, last);
  // The last word on progress, even when it was already shown: a renderer ends its bar on it.
  if (lastProgress) sinks.progress(lastProgress);
  const seconds = (Date.now() - started) / 1000;
  return {
    code: result.code,
    vanished: result.code === 24,
    stats: parseStats(result.stdout),
    deletions,
    seconds,
    stderrTail: [describeRsyncExit(result.code), ...result.stderr.trim().split("\n").slice(-5)]
      .filter(Boolean)
      .join("\n"),
  };
}

/** The event's fields of a progress2 record (what the renderers and the journal know). */
function progressInfo(label: string, progress: Progress2): ProgressInfo {
  const info: ProgressInfo = { label, bytesDone: progress.bytesDone };
  for (const key of ["bytesTotal", "percent", "rateBytesPerSec", "etaSec", "filesChecked", "filesTotal"] as const) {
    if (progress[key] !== undefined) info[key] = progress[key];
  }
  return info;
}

/** Live-pass convergence: go on while the changed data keeps shrinking and passes remain. */
export function shouldRunAnotherLivePass(history: number[], maxPasses: number): boolean {
  if (history.length === 0) return true;
  if (history.length >= maxPasses) return false;
  const last = history[history.length - 1]!;
  if (last === 0) return false;
  if (history.length < 2) return true;
  return last < history[history.length - 2]!;
}
