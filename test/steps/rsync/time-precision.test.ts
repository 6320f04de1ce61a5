import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { execOk } from "../../../src/hosts/host.js";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { rsyncCommand } from "../../../src/steps/rsync/command.js";
import { parseRsyncVersion } from "../../../src/steps/rsync/compression.js";
import { chooseTimePrecision } from "../../../src/steps/rsync/time-precision.js";

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

const build = (version: string) => parseRsyncVersion(`rsync  version ${version}  protocol version 31\n`);

describe("mtimes to the nanosecond", () => {
  it("a same-size file written again within the second of its copy: skipped by the default quick check, sent with exactTimes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-mtime-"));
    temps.push(dir);
    const [src, dst] = [join(dir, "src"), join(dir, "dst")];
    await mkdir(src);
    await mkdir(dst);
    const file = join(src, "ibdata1");
    await writeFile(file, "page 1");
    await utimes(file, 1_767_225_600.1, 1_767_225_600.1);
    const host = new LocalHost("source");
    const copy = (exactTimes: boolean) =>
      execOk(host, rsyncCommand({ from: src, to: dst, excludes: [], keepDirlinks: false, exactTimes }));
    await copy(false);
    await writeFile(file, "page 2");
    await utimes(file, 1_767_225_600.9, 1_767_225_600.9);
    await copy(false);
    expect(await readFile(join(dst, "ibdata1"), "utf8")).toBe("page 1");
    await copy(true);
    expect(await readFile(join(dst, "ibdata1"), "utf8")).toBe("page 2");
  });

  it("is chosen when the receiving rsync is 3.1.3 or newer", () => {
    expect(chooseTimePrecision(build("3.2.7"), build("3.2.7")).exact).toBe(true);
    expect(chooseTimePrecision(build("3.1.2"), build("3.1.3")).exact).toBe(true);
    expect(chooseTimePrecision(build("3.2.7"), build("3.1.2")).exact).toBe(false);
    expect(chooseTimePrecision(build("3.2.7"), build("3.1.2")).summary).toMatch(/3\.1\.2 predates/);
    expect(chooseTimePrecision(build("3.2.7"), null).exact).toBe(false);
    expect(chooseTimePrecision(build("3.2.7"), build("3.4.0pre1")).exact).toBe(true);
  });
});
