/** A dry run's stats asked together: one command for all, each answered as statCommand alone would (local /bin/sh). */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ExecOptions } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { splitCombinedStat } from "../../src/hosts/ssh/combined-stat.js";
import { CommandBatch } from "../../src/hosts/ssh/command-batch.js";
import { statCommand } from "../../src/hosts/ssh/remote-files.js";

const local = new LocalHost("test");
const dir = mkdtempSync(join(tmpdir(), "mudanza-combined-stat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

mkdirSync(join(dir, "usr bin"));
writeFileSync(join(dir, "file"), "12345");
writeFileSync(join(dir, "name with\nnewline"), "");
symlinkSync("usr bin", join(dir, "bin"));
symlinkSync("a\ntarget with a newline", join(dir, "odd link"));
symlinkSync("missing", join(dir, "dangling"));
const PATHS = ["file", "absent", "bin", "usr bin", "odd link", "name with\nnewline", "dangling", "absent/too"].map(
  (name) => join(dir, name),
);

/** A batch over the local shell; `answer` may change what a command line's run returns. */
function localBatch(answer = (_command: string, result: Awaited<ReturnType<LocalHost["exec"]>>) => result) {
  const sent: string[] = [];
  const batch = new CommandBatch(async (command: string, options: ExecOptions) => {
    sent.push(command);
    return answer(command, await local.exec(command, options));
  });
  return { batch, sent };
}

describe("stats asked together", () => {
  it("go as one command and each answer is what statCommand prints alone", async () => {
    const alone = await Promise.all(PATHS.map((path) => local.exec(statCommand(path))));
    const { batch, sent } = localBatch();
    const together = await Promise.all(PATHS.map((path) => batch.stat(path)));
    expect(sent).toHaveLength(1);
    expect(together.map((r) => [r.code, r.stdout])).toEqual(alone.map((r) => [r.code, r.stdout]));
    expect(together[2]!.stdout).toMatch(/^a[0-9a-f]{3} \d+ \d+ \d+\nusr bin\n$/);
  });

  it("share a script with the other commands of their turn", async () => {
    const { batch, sent } = localBatch();
    const [echo, stat, other] = await Promise.all([
      batch.exec("echo hi"),
      batch.stat(PATHS[0]!),
      batch.stat(PATHS[1]!),
    ]);
    expect(sent).toHaveLength(1);
    expect([echo.stdout, stat.stdout.split(" ")[1], other.stdout]).toEqual(["hi\n", "5", "absent\n"]);
  });

  it("each runs alone when the shared command fails (a readlink without -z)", async () => {
    const { batch, sent } = localBatch((command, result) =>
      command.includes("readlink -z") ? { code: 1, stdout: "", stderr: "readlink: invalid option -- 'z'\n" } : result,
    );
    const alone = await Promise.all(PATHS.map((path) => local.exec(statCommand(path))));
    const together = await Promise.all(PATHS.map((path) => batch.stat(path)));
    expect(together.map((r) => r.stdout)).toEqual(alone.map((r) => r.stdout));
    expect(sent.slice(1)).toEqual([expect.not.stringContaining("readlink -z")]);
  });
});

describe("splitCombinedStat", () => {
  const ok = (stdout: string) => ({ code: 0, stdout, stderr: "" });
  it("splits flags, stat lines and NUL-ended targets", () => {
    expect(splitCombinedStat(ok("nly\na1ff 7 0 0\n81a4 5 0 0\nusr/bin\0"), 3)).toEqual([
      "absent\n",
      "a1ff 7 0 0\nusr/bin\n",
      "81a4 5 0 0\n",
    ]);
  });
  it.each([
    ["a failed command", { code: 1, stdout: "y\n81a4 5 0 0\n", stderr: "" }, 1],
    ["fewer flags than paths", ok("y\n81a4 5 0 0\n"), 2],
    ["a symlink flag on a file's mode (it changed between test and stat)", ok("l\n81a4 5 0 0\nx\0"), 1],
    ["a file flag on a symlink's mode", ok("y\na1ff 5 0 0\n"), 1],
    ["a target missing its NUL", ok("l\na1ff 5 0 0\nusr/bin\n"), 1],
    ["a stat line missing", ok("yy\n81a4 5 0 0\n"), 2],
  ])("answers undefined for %s", (_what, result, count) => {
    expect(splitCombinedStat(result, count)).toBeUndefined();
  });
});
