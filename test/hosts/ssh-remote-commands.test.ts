/**
 * The shell snippets SshHost sends (file access, exec tagging and killing), run here through the local
 * /bin/sh so they are checked fast without an sshd; ssh.slow.test.ts runs the same ones over ssh.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import {
  cancelMarkerName,
  isAbsentResult,
  killTaggedCommand,
  parseStatOutput,
  readFileCommand,
  remoteCommandLine,
  keptShellCommandLine,
  keptShellPrologue,
  statCommand,
  writeFileCommand,
} from "../../src/hosts/ssh/remote-files.js";
import { sudoWantsPassword } from "../../src/hosts/ssh/ssh-host.js";

const local = new LocalHost("test");
/** Where the marker lands for commands this test runs locally: this process's TMPDIR (the test run's). */
const markerPath = (tag: string): string => join(tmpdir(), cancelMarkerName(tag));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-remote-cmds-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file commands", () => {
  it("read: content, or the absent marker", async () => {
    const path = join(dir, "it's $(here)");
    await writeFile(path, "ünï\n");
    expect(await local.exec(readFileCommand(path))).toMatchObject({ code: 0, stdout: "ünï\n" });
    const absent = await local.exec(readFileCommand(join(dir, "nope")));
    expect(isAbsentResult(absent.code, absent.stderr)).toBe(true);
    const directory = await local.exec(readFileCommand(dir));
    expect(isAbsentResult(directory.code, directory.stderr)).toBe(false);
    expect(directory.code).not.toBe(0);
  });

  it("write: atomic replace, explicit mode, kept mode, default 0644, no temp left on failure", async () => {
    const path = join(dir, "w `x`");
    expect((await local.exec(writeFileCommand(path, 0o600), { stdin: "one\n" })).code).toBe(0);
    expect(await readFile(path, "utf8")).toBe("one\n");
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    expect((await local.exec(writeFileCommand(path, undefined), { stdin: "two\n" })).code).toBe(0);
    expect((await stat(path)).mode & 0o7777).toBe(0o600);
    const fresh = join(dir, "fresh");
    await local.exec(writeFileCommand(fresh, undefined), { stdin: "" });
    expect((await stat(fresh)).mode & 0o7777).toBe(0o644);
    const failed = await local.exec(writeFileCommand(join(dir, "missing-dir", "f"), 0o644), { stdin: "x" });
    expect(failed.code).not.toBe(0);
  });

  it("stat: file, dir, symlink with target, absent", async () => {
    const file = join(dir, "s");
    await writeFile(file, "12345", { mode: 0o750 });
    await symlink("a target\nwith newline", join(dir, "l"));
    const parse = async (p: string) => parseStatOutput((await local.exec(statCommand(p))).stdout);
    expect(await parse(file)).toMatchObject({ type: "file", mode: 0o750, size: 5 });
    expect(await parse(dir)).toMatchObject({ type: "dir" });
    expect(await parse(join(dir, "l"))).toMatchObject({ type: "symlink", linkTarget: "a target\nwith newline" });
    expect(await parse(join(dir, "absent"))).toBeNull();
    expect(() => parseStatOutput("garbage")).toThrow(/unexpected stat output/);
  });
});

describe("exec wrapping", () => {
  it("runs the command under sh with the tag, quoting intact", async () => {
    const line = remoteCommandLine(`printf '%s|' "$MUDANZA_EXEC_ID" 'it'"'"'s'`, "t1", false);
    expect((await local.exec(line)).stdout).toBe("t1|it's|");
    expect(remoteCommandLine("true", "t2", true)).toBe(
      `exec sudo -n env MUDANZA_EXEC_ID=t2 sh -c 'test -e "\${TMPDIR:-/tmp}"/.mudanza-cancelled-t2 && exit 143; true'`,
    );
  });

  it("a command stopped before its session started never runs (the stop leaves a marker it checks first)", async () => {
    const tag = `early${process.pid}${Date.now()}`;
    const marker = join(dir, "ran");
    try {
      expect((await local.exec(killTaggedCommand(tag, "TERM"))).code).toBe(0);
      const late = await local.exec(remoteCommandLine(`touch '${marker}'`, tag, false));
      expect(late.code).toBe(143);
      await expect(stat(marker)).rejects.toThrow(/ENOENT/);
      // another command's tag is not affected
      expect((await local.exec(remoteCommandLine("echo runs", `${tag}other`, false))).stdout).toBe("runs\n");
    } finally {
      await rm(markerPath(tag), { force: true });
    }
  });

  it("a kept shell runs what it reads with the tag, and one stopped before it started ends at its first line", async () => {
    const tag = `keptearly${process.pid}${Date.now()}`;
    onTestFinished(() => rm(markerPath(tag), { force: true }));
    expect(keptShellCommandLine(tag, true)).toBe(`exec sudo -n env MUDANZA_EXEC_ID=${tag} sh -s`);
    const script = `${keptShellPrologue(tag)}printf '%s|' "$MUDANZA_EXEC_ID" runs\n`;
    const running = await local.exec(keptShellCommandLine(tag, false), { stdin: script });
    expect(running).toMatchObject({ code: 0, stdout: `${tag}|runs|` });
    expect((await local.exec(killTaggedCommand(tag, "TERM"))).code).toBe(0);
    const stopped = await local.exec(keptShellCommandLine(tag, false), { stdin: script });
    expect(stopped).toMatchObject({ code: 143, stdout: "" });
  });

  it("the kill command stops a tagged shell and its child before the next command of a list runs", async () => {
    const marker = join(dir, "reached");
    const tag = `killme${process.pid}${Date.now()}`;
    onTestFinished(() => rm(markerPath(tag), { force: true }));
    const child = spawn("/bin/sh", ["-c", remoteCommandLine(`sleep 35.5; touch '${marker}'`, tag, false)], {
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // wait until the tagged command really runs (a loaded machine may take a while to start it)
    await vi.waitFor(async () => expect((await pidsWithArgument("35.5")).length).toBeGreaterThan(0), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await local.exec(killTaggedCommand(tag, "TERM"))).code).toBe(0);
    await exited;
    await new Promise((r) => setTimeout(r, 100));
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    expect(await pidsWithArgument("35.5")).toEqual([]);
    // Found running, its cancel marker has served: none is left behind in /tmp (found by a new-user trial).
    await expect(stat(markerPath(tag))).rejects.toThrow(/ENOENT/);
  });

  it("recognises sudo's password refusals", () => {
    expect(sudoWantsPassword("sudo: a password is required\n")).toBe(true);
    expect(sudoWantsPassword("sudo: a terminal is required to read the password; either use the -S option")).toBe(true);
    expect(sudoWantsPassword("cat: x: No such file or directory\n")).toBe(false);
  });
});

async function pidsWithArgument(argument: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").includes(argument)) found.push(entry);
  }
  return found;
}
