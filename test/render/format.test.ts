import { describe, expect, it } from "vitest";
import {
  barCells,
  describeProgress,
  formatBytes,
  formatClock,
  formatDuration,
  progressEtaSec,
  progressFraction,
  textBar,
} from "../../src/render/format.js";

describe("progress math", () => {
  it("fraction from percent, else from bytes, unknown without a total", () => {
    expect(progressFraction({ bytesDone: 10, percent: 40 })).toBe(0.4);
    expect(progressFraction({ bytesDone: 25, bytesTotal: 100 })).toBe(0.25);
    expect(progressFraction({ bytesDone: 250, bytesTotal: 100 })).toBe(1);
    expect(progressFraction({ bytesDone: 25 })).toBeUndefined();
    expect(progressFraction({ bytesDone: 0, bytesTotal: 0 })).toBe(1);
  });

  it("ETA from the step, else (total - done) / rate", () => {
    expect(progressEtaSec({ bytesDone: 0, etaSec: 7 })).toBe(7);
    expect(progressEtaSec({ bytesDone: 100, bytesTotal: 1100, rateBytesPerSec: 50 })).toBe(20);
    expect(progressEtaSec({ bytesDone: 100, bytesTotal: 1100 })).toBeUndefined();
    expect(progressEtaSec({ bytesDone: 100, bytesTotal: 1100, rateBytesPerSec: 0 })).toBeUndefined();
  });

  it("bar cells: never full before 100%, never empty after any progress", () => {
    expect(barCells(0, 20)).toBe(0);
    expect(barCells(0.001, 20)).toBe(1);
    expect(barCells(0.5, 20)).toBe(10);
    expect(barCells(0.999, 20)).toBe(19);
    expect(barCells(1, 20)).toBe(20);
    expect(barCells(7, 20)).toBe(20);
    expect(textBar(0.25, 8)).toBe("██░░░░░░");
    expect(textBar(0.25, 8).length).toBe(8);
  });

  it("human units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
    expect(formatBytes(300 * 1024 ** 2)).toBe("300 MiB");
    expect(formatDuration(400)).toBe("0.4 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(185_000)).toBe("3m 05s");
    expect(formatDuration(3_720_000)).toBe("1h 02m");
    expect(formatClock(75_000)).toBe("1:15");
    expect(formatClock(3_723_000)).toBe("1:02:03");
  });

  it("one line with everything rsync tells", () => {
    expect(
      describeProgress({
        bytesDone: 1024 ** 3,
        bytesTotal: 4 * 1024 ** 3,
        rateBytesPerSec: 32 * 1024 ** 2,
        filesChecked: 120,
        filesTotal: 400,
      }),
    ).toBe("1.0 GiB / 4.0 GiB  25%  32.0 MiB/s  ETA 1m 36s  120/400 files");
    expect(describeProgress({ bytesDone: 4096, bytesTotal: 4096, rateBytesPerSec: 10 })).toBe(
      "4.0 KiB / 4.0 KiB  100%  10 B/s",
    );
  });
});

describe("cleanLine", async () => {
  const { cleanLine } = await import("../../src/render/format.js");
  const ESC = String.fromCharCode(27);
  it("drops colour, cursor and title codes, keeps the text", () => {
    expect(cleanLine(`${ESC}[1;31mE:${ESC}[0m Unable to locate package foo`)).toBe("E: Unable to locate package foo");
    expect(cleanLine(`${ESC}]0;apt${String.fromCharCode(7)}Reading${ESC}[2K${ESC}[1G lists`)).toBe("Reading lists");
  });
  it("shows what a terminal would show last on a carriage-return line; tabs become spaces", () => {
    expect(cleanLine("Progress: [ 10%]\rProgress: [ 55%]\r")).toBe("Progress: [ 55%]");
    expect(cleanLine("a\tb\u0007")).toBe("a    b");
    expect(cleanLine("plain line")).toBe("plain line");
  });
});
