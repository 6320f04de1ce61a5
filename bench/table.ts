import type { BenchRow } from "./types.js";

const fixed = (n: number, digits = 1): string => n.toFixed(digits);

/** The rows as a plain-text table: each ratio with its baseline beside it, and the target when there is one. */
export function renderTable(rows: BenchRow[]): string {
  const header = ["benchmark", "case", "median", "baseline", "baseline median", "ratio", "target", ""];
  const body = rows.map((r) => [
    r.benchmark,
    r.case,
    `${fixed(r.value)} ${r.unit}`,
    r.baselineLabel,
    `${fixed(r.baseline)} ${r.unit}`,
    `${fixed(r.ratio, 2)}x`,
    r.target === undefined ? "" : `<= ${fixed(r.target, 2)}x`,
    r.target === undefined ? "" : r.ratio <= r.target ? "ok" : "MISSED",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
