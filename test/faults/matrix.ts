/**
 * The fault-injection matrix (issue 11): one row per fault point. Each test file that runs rows records
 * an outcome per row; `matrixTable` prints them as the Markdown table of the closing note (written to
 * $MUDANZA_FAULT_REPORT when set, appended, one table per test file).
 */
import { appendFile } from "node:fs/promises";

export type Setup = "local" | "local sshd" | "scripted" | "lab";

export interface FaultRow {
  /** Where in the run the fault lands. */
  point: string;
  setup: Setup;
  /** How the fault is made. */
  injected: string;
  /** What the row asserts after the fault and after the re-run. */
  verified: string;
}

export interface RowResult {
  row: FaultRow;
  result: "pass" | "fail";
  seconds: number;
}

export function matrixTable(results: RowResult[]): string {
  const lines = [
    "| fault point | setup | injected how | outcome verified | result | seconds |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const { row, result, seconds } of results)
    lines.push(
      `| ${row.point} | ${row.setup} | ${row.injected} | ${row.verified} | ${result} | ${seconds.toFixed(1)} |`,
    );
  return lines.join("\n");
}

/** Collects each row's result (a test that throws is a fail) and prints the table when the file ends. */
export function recorder(): { timed<T>(row: FaultRow, body: () => Promise<T>): Promise<T>; report(): Promise<void> } {
  const results: RowResult[] = [];
  return {
    async timed(row, body) {
      const started = Date.now();
      try {
        const value = await body();
        results.push({ row, result: "pass", seconds: (Date.now() - started) / 1000 });
        return value;
      } catch (error) {
        results.push({ row, result: "fail", seconds: (Date.now() - started) / 1000 });
        throw error;
      }
    },
    async report() {
      if (results.length === 0) return;
      const table = matrixTable(results);
      console.log(`\n${table}\n`);
      if (process.env.MUDANZA_FAULT_REPORT) await appendFile(process.env.MUDANZA_FAULT_REPORT, `${table}\n\n`);
    },
  };
}
