import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { countDeletions, describeRsyncExit, parseProgress2, parseStats } from "../../../src/steps/rsync/progress.js";
import { shouldRunAnotherLivePass } from "../../../src/steps/rsync/pass.js";

const sample = (name: string): string => readFileSync(`fixtures/hosts/rsync-output/${name}`, "utf8");
const lines = (text: string): string[] => text.split(/\r\n|\r|\n/);

describe("progress2 lines (real rsync 3.5 output)", () => {
  it("parses every progress line of a first pass; the last one is complete", () => {
    const parsed = lines(sample("first-pass.txt"))
      .map(parseProgress2)
      .filter((p) => p !== null);
    expect(parsed.length).toBeGreaterThanOrEqual(4);
    expect(parsed[0]).toMatchObject({ bytesDone: 32_768, percent: 0, rateBytesPerSec: 0, etaSec: 0 });
    expect(parsed.at(-1)).toMatchObject({
      bytesDone: 30_000_008,
      percent: 100,
      filesChecked: 6,
      filesTotal: 6,
      transferred: 3,
      listComplete: true,
    });
    expect(parsed.at(-1)!.rateBytesPerSec).toBeGreaterThan(100 * 1024 * 1024);
  });

  it("reads units, ETA hours and the incremental-recursion marker", () => {
    expect(parseProgress2("  1,234,567,890  45%   12.50MB/s    1:02:03 (xfr#1,204, ir-chk=1000/52000)")).toBeNull(); // xfr# has no comma in rsync output
    expect(parseProgress2("  1,234,567,890  45%   12.50MB/s    1:02:03 (xfr#1204, ir-chk=1000/52000)")).toEqual({
      bytesDone: 1_234_567_890,
      percent: 45,
      rateBytesPerSec: Math.round(12.5 * 1024 * 1024),
      etaSec: 3723,
      bytesTotal: Math.round((1_234_567_890 * 100) / 45),
      transferred: 1204,
      listComplete: false,
      filesTotal: 52000,
      filesChecked: 51000,
    });
    expect(parseProgress2("        512   3%  800.00kB/s    0:00:09  ")).toMatchObject({
      rateBytesPerSec: 819_200,
      etaSec: 9,
    });
    expect(parseProgress2("        512   3%    1.20GB/s    0:00:09")).toMatchObject({
      rateBytesPerSec: Math.round(1.2 * 1024 ** 3),
    });
    for (const other of [
      "",
      ">f+++++++++ etc/new",
      "*deleting   stale2",
      "Number of files: 6 (reg: 3, dir: 3)",
      'rsync: [sender] send_files failed to open "/x": Permission denied (13)',
    ]) {
      expect(parseProgress2(other)).toBeNull();
    }
  });
});

describe("--stats and itemized output", () => {
  it("reads the pass summary", () => {
    expect(parseStats(sample("first-pass.txt"))).toEqual({
      files: 6,
      createdFiles: 5,
      deletedFiles: 1,
      regularFilesTransferred: 3,
      totalFileSize: 30_000_008,
      transferredFileSize: 30_000_008,
      literalData: 30_000_008,
    });
    expect(parseStats(sample("second-pass.txt")).transferredFileSize).toBe(9);
  });

  it("counts the files a dry run would delete", () => {
    const text = sample("dry-run-itemized.txt");
    expect(countDeletions(text)).toBe(1);
    expect(parseStats(text).deletedFiles).toBe(1);
  });

  it("names rsync's exit codes", () => {
    expect(describeRsyncExit(24)).toBe("partial transfer due to vanished source files");
    expect(describeRsyncExit(255)).toBe("ssh connection failed");
    expect(describeRsyncExit(99)).toBe("exit 99");
  });
});

describe("live-pass convergence", () => {
  it.each([
    [[], 4, true],
    [[900], 4, true],
    [[900, 40], 4, true],
    [[900, 40, 52], 4, false],
    [[900, 40, 40], 4, false],
    [[900, 40, 20, 10], 4, false],
    [[0], 4, false],
    [[900], 1, false],
  ])("after %j with at most %i passes: another = %s", (history, max, expected) => {
    expect(shouldRunAnotherLivePass(history, max)).toBe(expected);
  });
});
