import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { settleNote, unwrittenBytes } from "../../bench/settle-disk.js";

// Lines as Linux 6.1's /proc/meminfo prints them (fs/proc/meminfo.c: "%8lu kB").
const MEMINFO = `MemTotal:       24591408 kB
MemFree:        17920896 kB
Dirty:             52428 kB
Writeback:          1024 kB
AnonPages:        800000 kB
WritebackTmp:          0 kB
`;

describe("the copy benchmarks' wait for a quiet disk", () => {
  it("counts dirty and in-flight pages, not WritebackTmp", () => {
    expect(unwrittenBytes(MEMINFO)).toBe((52428 + 1024) * 1024);
  });

  it("reads this machine's /proc/meminfo", () => {
    expect(unwrittenBytes(readFileSync("/proc/meminfo", "utf8"))).toBeGreaterThanOrEqual(0);
  });

  it("refuses a meminfo without the lines it needs", () => {
    expect(() => unwrittenBytes("MemTotal: 1 kB\n")).toThrow(/no Dirty line/);
  });

  it("notes a round that ran before the disk got quiet, and only such a round", () => {
    expect(settleNote("copy", { waitedMs: 3000, leftBytes: 0 })).toBeUndefined();
    expect(settleNote("copy", { waitedMs: 120_000, leftBytes: 300 * 1048576 })).toMatch(
      /did not get quiet in 120 s \(300 MiB still unwritten\)/,
    );
  });
});
