import type { BenchRow } from "./types.js";

const fixed = (n: number, digits = 1): string => n.toFixed(digits);
/** Small values (a few KiB in MiB, a ratio under 1 %) keep their significant digits. */
const shown = (n: number, digits: number): string =>
  n !== 0 && Math.abs(n) < 0.1 ? n.toPrecision(2) : fixed(n, digits);

/** The rows as a plain-text table: each ratio with its baseline beside it, and the target when there is one. */
export function renderTable(rows: BenchRow[]): string {
  const header = ["benchmark", "case", "median", "baseline", "baseline median", "ratio", "rounds' range", "target", ""];
  const body = rows.map((r) => [
    r.benchmark,
    r.case,
    `${shown(r.value, 1)} ${r.unit}`,
    r.baselineLabel,
    `${fixed(r.baseline)} ${r.unit}`,
    `${shown(r.ratio, 2)}x`,
    r.spread ? `${shown(r.spread[0], 2)}-${shown(r.spread[1], 2)}x` : "",
    r.target === undefined ? "" : `<= ${fixed(r.target, 2)}x`,
    r.target === undefined ? "" : r.ratio <= r.target ? "ok" : "MISSED",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
