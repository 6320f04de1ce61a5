import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { execOk } from "../../../src/hosts/host.js";
import {
  changedListCommand,
  ctimeQuestionCommand,
  ctimeQuestions,
  markCommand,
  classifyDifferences,
  repairEntries,
  normalise,
  parseCtimeAnswers,
  parseDifferences,
  PENDING_PASS_MARK,
  sourceQuestion,
} from "../../../src/steps/rsync/changed-since.js";
import { rsyncCommand, type RsyncCommandOptions } from "../../../src/steps/rsync/command.js";

const host = new LocalHost("source");
const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function world(): Promise<{ src: string; dst: string; marks: string }> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-changed-"));
  temps.push(dir);
  const src = join(dir, "src");
  for (const [path, content] of Object.entries({
    "a/f1": "one",
    "a/b/f2": "two",
    "c/f3": "three",
    "var/lib/mysql/ibdata1": "rows 1",
  })) {
    await mkdir(dirname(join(src, path)), { recursive: true });
    await writeFile(join(src, path), content);
  }
  await mkdir(join(dir, "dst"));
  await mkdir(join(dir, "marks"));
  return { src, dst: join(dir, "dst"), marks: join(dir, "marks") };
}

/** As the pipeline's passes with a target rsync of 3.1.3 or later: mtimes compared to the nanosecond. */
const copy = (src: string, dst: string, extra: Pick<RsyncCommandOptions, "filesFrom" | "listDifferences"> = {}) =>
  rsyncCommand({ from: src, to: dst, excludes: [], keepDirlinks: false, exactTimes: true, ...extra });

/** The coarse clock the kernel stamps ctime from ticks at most every 10 ms (HZ=100): order two events by more. */
const tick = () => sleep(30);

async function differences(src: string, dst: string) {
  const lines: string[] = [];
  await execOk(host, copy(src, dst, { listDifferences: true }), { onStdout: (l) => lines.push(l) });
  return parseDifferences(lines);
}

async function ask(root: string, mark: string, paths: string[]) {
  const r = await execOk(host, ctimeQuestionCommand(mark, root), { stdin: ctimeQuestions(paths) });
  return parseCtimeAnswers(r.stdout);
}

describe("the short final pass on real files (find, rsync --files-from)", () => {
  it("copies every change since the live pass's mark: contents, a deletion, a new directory, a mode", async () => {
    const { src, dst, marks } = await world();
    const live = join(marks, "live");
    await execOk(host, markCommand(live));
    await execOk(host, copy(src, dst));
    await writeFile(join(src, "a/f1"), "one, changed");
    await rm(join(src, "a/b/f2"));
    await mkdir(join(src, "a/new"));
    await writeFile(join(src, "a/new/z"), "zed");
    await chmod(join(src, "c/f3"), 0o600);
    await writeFile(join(src, "var/lib/mysql/ibdata1"), "rows 2");

    const list = join(marks, "list");
    // The database directory is listed whole, whatever its entries' ctime, so one rsync copies it too.
    await execOk(host, changedListCommand(live, ["/var/lib/mysql"], src, list));
    const listed = (await readFile(list, "utf8")).split("\0").filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining(["./a/f1", "./a/b/", "./a/new/", "./a/new/z", "./c/f3"]));
    expect(listed).toEqual(expect.arrayContaining(["./var/lib/mysql/", "./var/lib/mysql/ibdata1"]));
    await execOk(host, copy(src, dst, { filesFrom: list }));

    expect(await differences(src, dst)).toEqual([]);
    expect(await readFile(join(dst, "a/f1"), "utf8")).toBe("one, changed");
    expect(await readFile(join(dst, "var/lib/mysql/ibdata1"), "utf8")).toBe("rows 2");
  });

  it("the one rsync of the list copies the database directory whole: a file the target changed, a dropped database", async () => {
    const { src, dst, marks } = await world();
    await mkdir(join(src, "var/lib/mysql/lab"));
    await writeFile(join(src, "var/lib/mysql/lab/t1.ibd"), "table");
    await writeFile(join(src, "var/lib/mysql/ib_logfile0"), "redo");
    const live = join(marks, "live");
    await execOk(host, markCommand(live));
    await execOk(host, copy(src, dst));
    await tick();
    // Neither has a ctime after the mark on the source: only listing the directory whole copies them.
    await writeFile(join(dst, "var/lib/mysql/ib_logfile0"), "redo written on the target");
    await writeFile(join(dst, "var/lib/mysql/lab/stray"), "left by the target");
    await rm(join(src, "var/lib/mysql/lab"), { recursive: true });

    const list = join(marks, "list");
    await execOk(host, changedListCommand(live, ["/var/lib/mysql"], src, list));
    await execOk(host, copy(src, dst, { filesFrom: list }));

    expect(await differences(src, dst)).toEqual([]);
    expect(await readFile(join(dst, "var/lib/mysql/ib_logfile0"), "utf8")).toBe("redo");
    await expect(readFile(join(dst, "var/lib/mysql/lab/t1.ibd"), "utf8")).rejects.toThrow();
  });

  it("after the thaw: what the source changed since the freeze is left, the rest is copied again", async () => {
    const { src, dst, marks } = await world();
    await writeFile(join(src, "keep"), "same");
    await execOk(host, copy(src, dst));
    await writeFile(join(src, "c/f3"), "three, changed before the freeze");
    await tick();
    const freeze = join(marks, "freeze");
    await execOk(host, markCommand(freeze));
    // The frozen pass copied nothing (as if c/f3's ctime had not moved); then both sides go on.
    await tick();
    await writeFile(join(src, "a/f1"), "one, written after the thaw");
    await rm(join(src, "a/b/f2"));
    await writeFile(join(dst, "target-log"), "the VM's own service wrote this");

    const found = await differences(src, dst);
    expect(found.map((d) => `${d.deletion ? "-" : "+"}${d.path}`).sort()).toEqual(
      // The directories whose entries changed differ too (their mtimes).
      ["+./", "+a/b/", "+a/f1", "+c/f3", "-a/b/f2", "-target-log"].sort(),
    );
    const split = classifyDifferences(found, await ask(src, freeze, found.map(sourceQuestion)), ["/var/lib/mysql"]);
    expect(split.stale.map((d) => d.path).sort()).toEqual(["./", "c/f3", "target-log"]);
    expect(split.sinceFreeze.map((d) => d.path).sort()).toEqual(["a/b/", "a/b/f2", "a/f1"]);
    expect(split.staleInDatabases).toEqual([]);

    const list = join(marks, "repair");
    await writeFile(list, repairEntries(split.stale));
    await execOk(host, copy(src, dst, { filesFrom: list }));
    expect(await readFile(join(dst, "c/f3"), "utf8")).toBe("three, changed before the freeze");
    const left = await differences(src, dst);
    expect(left.map((d) => d.path).sort()).toEqual(["a/b/", "a/b/f2", "a/f1"]);
  });

  it("a live pass's mark is set back, a freeze mark is not", async () => {
    const { marks } = await world();
    const freeze = join(marks, "freeze");
    await execOk(host, markCommand(PENDING_PASS_MARK.replace(/^.*\//, `${marks}/`)));
    expect(markCommand(PENDING_PASS_MARK)).toContain("-d '2 seconds ago'");
    // the option, not "-d" anywhere: the random temporary folder's name may hold "-d" (it failed so once)
    expect(markCommand(freeze)).not.toContain("touch -d");
    expect(markCommand(freeze)).toContain("touch -- ");
  });
});

describe("reading rsync's differences and find's answers", () => {
  it("parses %i %n lines: changes, deletions, escaped names; ignores anything else", () => {
    expect(
      parseDifferences([
        ">f.st...... etc/hosts",
        "*deleting   var/log/old log",
        "cd+++++++++ srv/new/",
        ">f+++++++++ home/a\\#012b",
        "rsync: some warning",
        "",
      ]),
    ).toEqual([
      { path: "etc/hosts", deletion: false },
      { path: "var/log/old log", deletion: true },
      { path: "srv/new/", deletion: false },
      { path: "home/a\nb", deletion: false },
    ]);
  });

  it("a deletion is dated by the directory that held it; the root is '.'", () => {
    expect(sourceQuestion({ path: "var/log/old", deletion: true })).toBe("./var/log");
    expect(sourceQuestion({ path: "top", deletion: true })).toBe(".");
    expect(sourceQuestion({ path: "etc/", deletion: false })).toBe("./etc");
    expect(normalise("-rf")).toBe("./-rf");
  });

  it("a stale difference inside a database directory is told apart: only a new freeze may copy it", () => {
    const d = (path: string, deletion = false) => ({ path, deletion });
    const source = new Map<string, "new" | "old">([
      ["./etc/a", "old"],
      ["./etc/b", "new"],
      ["./var/lib/mysql/ibdata1", "old"],
      ["./var/lib/mysql", "old"],
    ]);
    const split = classifyDifferences(
      [d("etc/a"), d("etc/b"), d("var/lib/mysql/ibdata1"), d("var/lib/mysql/gone", true), d("vanished")],
      source,
      ["/var/lib/mysql"],
    );
    expect(split.stale.map((x) => x.path)).toEqual(["etc/a"]);
    expect(split.sinceFreeze.map((x) => x.path)).toEqual(["etc/b", "vanished"]);
    expect(split.staleInDatabases.map((x) => x.path)).toEqual(["var/lib/mysql/ibdata1", "var/lib/mysql/gone"]);
    expect(repairEntries([d("etc/a"), d("etc/x/gone", true), d("etc/x/other", true)])).toBe("./etc/a\0./etc/x/\0");
  });
});
