/** ShellSession over a local `sh -s` (what SshHost keeps open on a dry run's host), and CommandBatch through it. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { CommandBatch } from "../../src/hosts/ssh/command-batch.js";
import {
  ShellEndedError,
  ShellSession,
  type ShellChannel,
  type ShellOutput,
} from "../../src/hosts/ssh/shell-session.js";
import { readFileCommand, statCommand } from "../../src/hosts/ssh/remote-files.js";
import { ShellPool } from "../../src/hosts/ssh/shell-pool.js";
import { sh } from "../../src/hosts/quote.js";

const opened: ShellSession[] = [];

function localShell(): ShellSession {
  const child = spawn("/bin/sh", ["-s"], { stdio: ["pipe", "pipe", "pipe"] });
  // A script sent after one that ended the shell meets a closed pipe (EPIPE), as the ssh channel's write does.
  child.stdin.on("error", () => undefined);
  const channel: ShellChannel = {
    write: (text) => void child.stdin.write(text),
    onStdout: (listener) => void child.stdout.on("data", listener),
    onStderr: (listener) => void child.stderr.on("data", listener),
    onClose: (listener) => void child.once("close", listener),
    close: () => void child.stdin.end(),
  };
  const session = new ShellSession(channel);
  opened.push(session);
  return session;
}

afterEach(() => {
  for (const session of opened.splice(0)) session.close();
});

describe("ShellSession", () => {
  it("answers scripts sent one after another, even before the first has finished, each with its own output", async () => {
    const shell = localShell();
    const answers = await Promise.all([
      shell.run("sleep 0.2; printf 'one'; echo err1 >&2"),
      shell.run("printf 'two\\n\\n'"),
      shell.run("true"),
    ]);
    expect(answers).toEqual([
      { stdout: "one", stderr: "err1\n" },
      { stdout: "two\n\n", stderr: "" },
      { stdout: "", stderr: "" },
    ]);
    expect(shell.alive).toBe(true);
  });

  it("a script that ends the shell fails, as do those sent after it", async () => {
    const shell = localShell();
    const ending = shell.run("exit 3");
    const after = shell.run("echo never");
    await expect(ending).rejects.toBeInstanceOf(ShellEndedError);
    await expect(after).rejects.toBeInstanceOf(ShellEndedError);
    expect(shell.alive).toBe(false);
    await expect(shell.run("echo late")).rejects.toBeInstanceOf(ShellEndedError);
  });
});

/** A CommandBatch whose scripts all go to `run` (kept shells), `lanes` at once, recording each script; none runs alone. */
function batchInShells(run: (script: string) => Promise<ShellOutput>, lanes = 1) {
  const scripts: string[] = [];
  const batch = new CommandBatch(
    () => Promise.reject(new Error("nothing may run on a session of its own")),
    "test",
    async (script) => {
      scripts.push(script);
      return { code: 0, ...(await run(script)) };
    },
    lanes,
  );
  return { batch, scripts };
}

describe("CommandBatch through a kept shell", () => {
  // the hard cases of command-batch.test.ts: exits, exec, a syntax error, a read of stdin, absent files
  const COMMANDS = [
    "printf 'no newline'; exit 3",
    "printf '\\n\\n'; echo oops >&2; false",
    "exec sh -c 'echo replaced; exit 7'",
    "echo 'unbalanced",
    "cat; echo read-nothing",
    readFileCommand("/nonexistent/mudanza-shell-test"),
    statCommand("/"),
  ];

  it("gives each command the answer a batch on a session of its own gives, turn after turn, in one shell", async () => {
    const local = new LocalHost("test");
    const sessions: string[] = [];
    const onSessions = new CommandBatch((command, options) => {
      sessions.push(command);
      return local.exec(command, options);
    });
    const shell = localShell();
    const { batch: inShell, scripts } = batchInShells((script) => shell.run(script));
    const expected = await Promise.all(COMMANDS.map((c) => onSessions.exec(c)));
    const got = await Promise.all(COMMANDS.map((c) => inShell.exec(c)));
    expect(got).toEqual(expected);
    // a later turn, and a command alone, use the same shell
    expect((await inShell.exec("echo later")).stdout).toBe("later\n");
    expect(scripts).toHaveLength(2);
    expect(shell.alive).toBe(true);
  });

  it("with two lanes, one turn's commands go as two scripts that run at once, each in a shell of its own", async () => {
    const pool = new ShellPool(async () => ({ session: localShell(), tag: "test" }), 2);
    const { batch, scripts } = batchInShells(async (script) => (await pool.send(script))!.answer, 2);
    const dir = await mkdtemp(join(tmpdir(), "mudanza-lanes-"));
    try {
      // each half waits (up to 20 s) for the other half's file: one after another, the first would time out
      const meet = (mine: string, theirs: string) =>
        sh`touch ${join(dir, mine)}; n=0; while ! test -e ${join(dir, theirs)} && test $n -lt 200; do sleep 0.1; n=$((n+1)); done; test -e ${join(dir, theirs)} && echo $$`;
      const answers = await Promise.all([
        batch.exec(meet("a", "b")),
        batch.exec("echo a2"),
        batch.exec(meet("b", "a")),
        batch.exec("echo b2"),
      ]);
      expect(scripts).toHaveLength(2);
      expect(answers.map((a) => a.code)).toEqual([0, 0, 0, 0]);
      expect([answers[1]!.stdout, answers[3]!.stdout]).toEqual(["a2\n", "b2\n"]);
      // $$ in a subshell is its shell's: two shells
      expect(answers[0]!.stdout).toMatch(/^\d+\n$/);
      expect(answers[2]!.stdout).toMatch(/^\d+\n$/);
      expect(answers[0]!.stdout).not.toBe(answers[2]!.stdout);
    } finally {
      pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a command asked while both shells are busy goes to the one that comes free first (issue 13's trace)", async () => {
    const pool = new ShellPool(async () => ({ session: localShell(), tag: "test" }), 2);
    const { batch, scripts } = batchInShells(async (script) => (await pool.send(script))!.answer, 2);
    const dir = await mkdtemp(join(tmpdir(), "mudanza-lanes-"));
    // waits (up to 20 s) for `file`, then says whether it came
    const waitFor = (file: string) =>
      sh`n=0; while ! test -e ${join(dir, file)} && test $n -lt 200; do sleep 0.1; n=$((n+1)); done; test -e ${join(dir, file)} && echo came`;
    try {
      const slow = batch.exec(waitFor("slow-may-end"));
      const quick = batch.exec(waitFor("quick-may-end"));
      await vi.waitFor(() => expect(scripts).toHaveLength(2)); // one in each shell
      const later = batch.exec("echo later");
      await new Promise((done) => setTimeout(done, 50));
      await writeFile(join(dir, "quick-may-end"), "");
      expect((await quick).stdout).toBe("came\n");
      // answered while the slow one still waits: it did not queue behind it
      expect((await later).stdout).toBe("later\n");
      expect(existsSync(join(dir, "slow-may-end"))).toBe(false);
      await writeFile(join(dir, "slow-may-end"), "");
      expect((await slow).stdout).toBe("came\n");
    } finally {
      pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("when the shell ends under a batch, its commands run on sessions of their own", async () => {
    const local = new LocalHost("test");
    const shell = localShell();
    shell.close();
    const alone: string[] = [];
    const batch = new CommandBatch(
      (command, options) => {
        alone.push(command);
        return local.exec(command, options);
      },
      "test",
      async (script) => ({ code: 0, ...(await shell.run(script)) }),
    );
    const answers = await Promise.all([batch.exec("echo a"), batch.exec("echo b")]);
    expect(answers.map((a) => a.stdout)).toEqual(["a\n", "b\n"]);
    expect(alone).toEqual(["echo a", "echo b"]);
  });
});
