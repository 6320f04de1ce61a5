/**
 * Fits the live area into the terminal: Ink clears the whole screen when a frame is taller than the
 * terminal (that is the flicker), so the step list is windowed around the current step and the output
 * tail shrinks before anything else does.
 */

export type StepRow = { kind: "step"; index: number } | { kind: "more"; count: number; where: "above" | "below" };

/** Rows for the step list: all of them if they fit, else a window around `current` with "… n more" rows. */
export function windowSteps(count: number, current: number, maxRows: number): StepRow[] {
  const all = Array.from({ length: count }, (_, index): StepRow => ({ kind: "step", index }));
  if (count <= maxRows) return all;
  const rows = Math.max(3, maxRows);
  const shown = rows - 2; // room for an "above" and a "below" marker
  const focus = Math.min(Math.max(current, 0), count - 1);
  let start = Math.max(0, focus - Math.floor((shown - 1) / 2));
  let end = Math.min(count, start + shown);
  start = Math.max(0, end - shown);
  // Without something hidden on one side, that side's marker row can show a step instead.
  if (start === 0) end = Math.min(count, rows - 1);
  if (end === count) start = Math.max(0, count - (rows - 1));
  const out: StepRow[] = [];
  if (start > 0) out.push({ kind: "more", count: start, where: "above" });
  for (let i = start; i < end; i++) out.push({ kind: "step", index: i });
  if (end < count) out.push({ kind: "more", count: count - end, where: "below" });
  return out;
}

export interface LayoutInput {
  rows: number;
  columns: number;
  stepCount: number;
  currentIndex: number;
  /** Rows the panel below the list needs (gate, failure or result panel). */
  panelRows: number;
  /** The current step shows a progress bar (2 rows). */
  hasProgress: boolean;
  /** Output lines the current step has to show (0 when it is not expanded). */
  outputAvailable?: number;
}

export interface Layout {
  stepRows: StepRow[];
  outputLines: number;
}

const HEADER_ROWS = 3; // title, hosts, rule
const FOOTER_ROWS = 1; // key hints
const MAX_OUTPUT_LINES = 6;

export function planLayout(input: LayoutInput): Layout {
  // One spare row: a frame as tall as the terminal scrolls it.
  const budget =
    Math.max(6, input.rows - 1) - HEADER_ROWS - FOOTER_ROWS - input.panelRows - (input.hasProgress ? 2 : 0);
  // A few output lines of the running step matter more than seeing every finished step.
  const reserved = Math.min(4, input.outputAvailable ?? 0);
  const listRows = Math.max(3, Math.min(input.stepCount, budget - reserved));
  const stepRows = windowSteps(input.stepCount, input.currentIndex, listRows);
  const outputLines = Math.max(0, Math.min(MAX_OUTPUT_LINES, budget - stepRows.length));
  return { stepRows, outputLines };
}
