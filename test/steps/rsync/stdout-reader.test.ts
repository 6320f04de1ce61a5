import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScriptedHost } from "../../../src/hosts/scripted-host.js";
import type { ProgressInfo } from "../../../src/engine/events.js";
import { runRsyncPass } from "../../../src/steps/rsync/pass.js";
import { parseStats } from "../../../src/steps/rsync/progress.js";
import { RsyncStdoutReader } from "../../../src/steps/rsync/stdout-reader.js";

const sample = (name: string): string => readFileSync(`fixtures/hosts/rsync-output/${name}`, "utf8");

/** A progress2 record as rsync 3.5 writes one per file: right-aligned, ended by "\r". */
const record = (bytes: number, xfr: number, left: number, total: number): string =>
  `${bytes.toLocaleString("en-US").padStart(15)} ${String(Math.floor((bytes * 100) / 5_000_000)).padStart(3)}%    1.00MB/s    0:00:01 (xfr#${xfr}, to-chk=${left}/${total})\r`;

function read(chunks: string[]): { lines: string[]; progress: ReturnType<RsyncStdoutReader["takeProgress"]>[] } {
  const lines: string[] = [];
  const progress: ReturnType<RsyncStdoutReader["takeProgress"]>[] = [];
  const reader = new RsyncStdoutReader((line) => lines.push(line));
  for (const chunk of chunks) {
    reader.push(chunk);
    const taken = reader.takeProgress();
    if (taken) progress.push(taken);
  }
  reader.end();
  const last = reader.takeProgress();
  if (last) progress.push(last);
  return { lines, progress };
}

/** `text` cut at every `size` characters, so records and lines are split mid-way. */
const cut = (text: string, size: number): string[] =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

describe("rsync stdout read a chunk at a time", () => {
  const records = Array.from({ length: 40 }, (_, i) => record((i + 1) * 100_000, i + 1, 39 - i, 40)).join("");
  const stats = "\n\nNumber of files: 40 (reg: 40)\nNumber of created files: 40\nTotal file size: 4,000,000 bytes\n";
  const whole = `\r${records}${stats}`;

  it("keeps only the newest record of a chunk holding several: one parse for 40 records", () => {
    const { lines, progress } = read([`\r${records}`]);
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatchObject({ bytesDone: 4_000_000, transferred: 40, filesChecked: 40, filesTotal: 40 });
    expect(lines).toEqual([]);
  });

  it.each([1, 7, 50, 113])("reads records and lines cut every %i characters alike", (size) => {
    const { lines, progress } = read(cut(whole, size));
    // No progress record ever reaches the lines, and no torn one is parsed: each read is a whole record.
    expect(lines).toEqual([
      "Number of files: 40 (reg: 40)",
      "Number of created files: 40",
      "Total file size: 4,000,000 bytes",
    ]);
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p!.bytesDone % 100_000).toBe(0);
    expect(progress.map((p) => p!.bytesDone)).toEqual([...progress.map((p) => p!.bytesDone)].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ bytesDone: 4_000_000, transferred: 40 });
  });

  it("passes the final --stats of real rsync output through as lines, and its progress as the last record", () => {
    const text = sample("first-pass.txt");
    const { lines, progress } = read(cut(text, 64));
    expect(parseStats(lines.join("\n"))).toEqual(parseStats(text));
    expect(parseStats(lines.join("\n")).files).toBeGreaterThan(0);
    expect(lines.some((l) => /\d%/.test(l))).toBe(false);
    expect(progress.at(-1)).toMatchObject({ bytesDone: 30_000_008, percent: 100, filesChecked: 6, filesTotal: 6 });
  });

  it("gives a message after a progress record (rsync ends the record with \\r\\n first) and a non-progress \\r record", () => {
    const { lines, progress } = read([
      record(100_000, 1, 1, 2),
      '\r\nrsync: [sender] link_stat "/x" failed: No such file or directory (2)\n',
      'file has vanished: "/y"\r',
      "*deleting   old/file\nno end",
    ]);
    expect(lines).toEqual([
      'rsync: [sender] link_stat "/x" failed: No such file or directory (2)',
      'file has vanished: "/y"',
      "*deleting   old/file",
      "no end",
    ]);
    expect(progress.map((p) => p!.bytesDone)).toEqual([100_000]);
  });
});

describe("runRsyncPass over a stream of records", () => {
  it("turns 2,000 records into a few progress events, counts deletions and reads the final stats", async () => {
    const body = Array.from({ length: 2_000 }, (_, i) => record((i + 1) * 2_500, i + 1, 1_999 - i, 2_000)).join("");
    const host = new ScriptedHost("source").on(/^rsync /, {
      stdout: `*deleting   gone/a\n*deleting   gone/b\n\r${body}\n\nNumber of files: 2,000 (reg: 2,000)\nTotal file size: 5,000,000 bytes\n`,
    });
    const events: ProgressInfo[] = [];
    const output: string[] = [];
    const result = await runRsyncPass(host, "rsync -a --info=progress2 /a/ /b/", "copy", {
      progress: (info) => events.push(info),
      output: (line) => output.push(line),
    });
    expect(events.length).toBeLessThanOrEqual(2);
    expect(events.at(-1)).toEqual({
      label: "copy",
      bytesDone: 5_000_000,
      bytesTotal: 5_000_000,
      percent: 100,
      rateBytesPerSec: 1024 * 1024,
      etaSec: 1,
      filesChecked: 2_000,
      filesTotal: 2_000,
    });
    expect(result.deletions).toBe(2);
    expect(result.stats).toEqual({ files: 2_000, totalFileSize: 5_000_000 });
    expect(output).toEqual([
      "*deleting   gone/a",
      "*deleting   gone/b",
      "Number of files: 2,000 (reg: 2,000)",
      "Total file size: 5,000,000 bytes",
    ]);
  });

  it("asks the host to read rsync's stdout in batches, well within the progress events' interval", async () => {
    let batchMs: number | undefined;
    const host = new ScriptedHost("source").on(/^rsync /, (_command, _host, options) => {
      batchMs = options?.stdoutBatchMs;
      return { stdout: "Number of files: 1 (reg: 1)\n" };
    });
    const result = await runRsyncPass(host, "rsync -a --info=progress2 /a/ /b/", "copy", {
      progress: () => undefined,
      output: () => undefined,
    });
    expect(result.code).toBe(0);
    expect(batchMs).toBeGreaterThan(0);
    expect(batchMs).toBeLessThan(250); // PROGRESS_EVERY_MS: no progress event waits for a batch
    // rsync blocks once ~200 records fill its stdout socket: at 20 ms a 200k-file copy took 3.5x bare rsync's time
    expect(batchMs).toBeLessThanOrEqual(2);
  });
});
