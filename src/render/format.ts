import type { ProgressInfo } from "../engine/events.js";

/** Human formatting shared by every face (TUI, listr2 lines, reports): one wording everywhere. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

/** 0.4 s, 12 s, 3m 05s, 1h 02m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSec = Math.round(ms / 1000);
  if (totalSec < 60) return `${totalSec} s`;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(s).padStart(2, "0")}s`;
}

/** A clock for the header: 0:07, 12:34, 1:02:03. */
export function formatClock(ms: number): string {
  const totalSec = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = String(totalSec % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** The fraction done (0..1) or undefined when nothing says how far along it is. */
export function progressFraction(p: ProgressInfo): number | undefined {
  if (p.percent !== undefined) return clamp01(p.percent / 100);
  if (p.bytesTotal !== undefined && p.bytesTotal > 0) return clamp01(p.bytesDone / p.bytesTotal);
  if (p.bytesTotal === 0) return 1;
  return undefined;
}

/** Seconds left: the step's own estimate, else computed from the rate. */
export function progressEtaSec(p: ProgressInfo): number | undefined {
  if (p.etaSec !== undefined) return p.etaSec;
  if (p.bytesTotal === undefined || !p.rateBytesPerSec) return undefined;
  return Math.max(0, (p.bytesTotal - p.bytesDone) / p.rateBytesPerSec);
}

/** Filled cells of a bar `width` wide (never full before 100%, never empty after any progress). */
export function barCells(fraction: number, width: number): number {
  if (width <= 0) return 0;
  const f = clamp01(fraction);
  if (f >= 1) return width;
  const cells = Math.floor(f * width);
  return Math.min(width - 1, f > 0 ? Math.max(1, cells) : 0);
}

export function textBar(fraction: number, width: number, full = "█", empty = "░"): string {
  const filled = barCells(fraction, width);
  return full.repeat(filled) + empty.repeat(width - filled);
}

/** One line, e.g. "1.2 GiB / 4.0 GiB  30%  45.0 MiB/s  ETA 1m 04s  12034 files". */
export function describeProgress(p: ProgressInfo): string {
  const parts: string[] = [];
  // A step that counts items, not bytes, reports bytesDone 0 and no total: "0 B" would be a false number.
  const countsBytes =
    p.bytesTotal !== undefined ||
    p.bytesDone > 0 ||
    p.rateBytesPerSec !== undefined ||
    (p.percent === undefined && p.filesChecked === undefined);
  if (countsBytes)
    parts.push(
      p.bytesTotal !== undefined
        ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`
        : formatBytes(p.bytesDone),
    );
  const fraction = progressFraction(p);
  if (fraction !== undefined) parts.push(`${Math.floor(fraction * 100)}%`);
  if (p.rateBytesPerSec !== undefined) parts.push(formatRate(p.rateBytesPerSec));
  const eta = progressEtaSec(p);
  if (eta !== undefined && (fraction ?? 0) < 1) parts.push(`ETA ${formatDuration(eta * 1000)}`);
  if (p.filesChecked !== undefined)
    parts.push(
      p.filesTotal !== undefined ? `${p.filesChecked}/${p.filesTotal} files` : `${p.filesChecked} files checked`,
    );
  return parts.join("  ");
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

const ESC = String.fromCharCode(27);
// CSI (colours, cursor moves) and OSC (titles, links) sequences, then any other C0 control but tab.
const ANSI = new RegExp(
  `${ESC}\\[[0-9;?]*[ -/]*[@-~]|${ESC}\\][^${String.fromCharCode(7)}${ESC}]*(?:${String.fromCharCode(7)}|${ESC}\\\\)|${ESC}[@-_]`,
  "g",
);
const CONTROL = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(8)}${String.fromCharCode(11)}-${String.fromCharCode(31)}${String.fromCharCode(127)}]`,
  "g",
);

/**
 * A remote command's line made safe to draw: colour and cursor codes removed (they would move Ink's
 * cursor and tear the screen), a carriage-return progress line reduced to what a terminal would show
 * last, tabs as spaces.
 */
export function cleanLine(line: string): string {
  const lastCr = line.replace(/\r+$/, "").lastIndexOf("\r");
  const shown = lastCr >= 0 ? line.slice(lastCr + 1) : line;
  return shown.replace(ANSI, "").replace(/\t/g, "    ").replace(CONTROL, "");
}
