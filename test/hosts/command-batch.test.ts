/** CommandBatch's script and its splitting, run through the local /bin/sh (what SshHost sends, without an sshd). */
import { describe, expect, it } from "vitest";
import type { ExecOptions, ExecResult } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { batchable, CommandBatch, splitBatchOutput } from "../../src/hosts/ssh/command-batch.js";
import { readFileCommand, statCommand } from "../../src/hosts/ssh/remote-files.js";

const local = new LocalHost("test");

/** A batch over the local shell that records each command line it sends. */
function localBatch() {
  const sent: string[] = [];
  const batch = new CommandBatch((command: string, options: ExecOptions) => {
    sent.push(command);
    return local.exec(command, options);
  });
  return { batch, sent };
}

// Answers that differ in every way a split could get wrong: exit codes, no final newline, several newlines,
// stderr only, an `exit` and an `exec` of their own, a syntax error, a read of stdin, empty output.
const COMMANDS = [
  "printf 'a\\nb\\n'",
  "printf 'no newline'; exit 3",
  "printf '\\n\\n'; echo oops >&2; false",
  "exec sh -c 'echo replaced; exit 7'",
  "echo 'unbalanced",
  "cat; echo read-nothing",
  "true",
  readFileCommand("/nonexistent/mudanza-batch-test"),
  statCommand("/"),
];

describe("CommandBatch", () => {
  it("commands asked in the same turn go as one script, each answered as if it had run alone", async () => {
    const alone: ExecResult[] = [];
    for (const command of COMMANDS) alone.push(await local.exec(command, { stdin: "" }));
    const { batch, sent } = localBatch();
    const batched = await Promise.all(COMMANDS.map((command) => batch.exec(command)));
    expect(sent).toHaveLength(1);
    expect(batched.map((r) => [r.code, r.stdout])).toEqual(alone.map((r) => [r.code, r.stdout]));
    // stderr too, except the wording of the shell's own syntax error (sh -c vs eval)
    const stderrs = (results: typeof alone) => results.map((r, i) => (i === 4 ? r.stderr !== "" : r.stderr));
    expect(stderrs(batched)).toEqual(stderrs(alone));
  });

  it("a command asked later goes in a batch of its own; one alone goes as it is", async () => {
    const { batch, sent } = localBatch();
    const first = await batch.exec("echo one");
    const second = await batch.exec("echo two");
    expect([first.stdout, second.stdout]).toEqual(["one\n", "two\n"]);
    expect(sent).toEqual(["echo one", "echo two"]);
  });

  it("commands whose answers the output does not hold run alone", async () => {
    const sent: string[] = [];
    // the session ends after the first command's answer (as if the connection dropped half-way)
    const batch = new CommandBatch(async (command: string, options: ExecOptions) => {
      sent.push(command);
      const result = await local.exec(command, options);
      if (sent.length > 1) return result;
      const cut = (text: string) => text.slice(0, text.indexOf("\n", text.indexOf(":0")) + 1);
      return { ...result, stdout: cut(result.stdout), stderr: cut(result.stderr) };
    });
    const answers = await Promise.all([batch.exec("echo first"), batch.exec("echo second")]);
    expect(answers.map((a) => a.stdout)).toEqual(["first\n", "second\n"]);
    expect(sent.slice(1)).toEqual(["echo second"]);
  });

  it("a command without an abort signal joins one with a signal; two different signals never share a batch", async () => {
    const { batch, sent } = localBatch();
    const [first, second] = [new AbortController().signal, new AbortController().signal];
    const answers = await Promise.all([
      batch.exec("echo 1", first),
      batch.exec("echo 2"),
      batch.exec("echo 3", second),
    ]);
    expect(answers.map((a) => a.stdout)).toEqual(["1\n", "2\n", "3\n"]);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe("echo 3");
  });

  it("only commands without stdin, callbacks or limits of their own are batched", () => {
    expect(batchable(undefined)).toBe(true);
    expect(batchable({ signal: new AbortController().signal })).toBe(true);
    expect(batchable({ stdin: "" })).toBe(false);
    expect(batchable({ onStdout: () => undefined })).toBe(false);
    expect(batchable({ timeoutMs: 1000 })).toBe(false);
  });

  it("MUDANZA_TRACE: the timed script gives the same answers, and the trace names each command with its time on the host", async () => {
    const untimed = localBatch().batch;
    const plain = await Promise.all(COMMANDS.map((command) => untimed.exec(command)));
    const { batch, sent } = localBatch();
    const traced: string[] = [];
    const write = process.stderr.write;
    process.env.MUDANZA_TRACE = "1";
    process.stderr.write = ((text: string) => traced.push(text) > 0) as typeof process.stderr.write;
    try {
      const batched = await Promise.all(COMMANDS.map((command) => batch.exec(command)));
      expect(batched).toEqual(plain);
    } finally {
      process.stderr.write = write;
      delete process.env.MUDANZA_TRACE;
    }
    expect(sent).toHaveLength(1);
    expect(traced[0]).toMatch(/^trace +\d+ ms host: batch of 9: \d+ ms round trip, \d+ ms on the host\n$/);
    expect(traced.slice(1).map((line) => /^trace +\d+ ms host: +(\d+) ms (.*)\n$/.exec(line)?.[2])).toEqual([
      "printf 'a\\nb\\n'",
      ...COMMANDS.slice(1, 7),
      expect.stringMatching(/^if test -e .*…$/),
      expect.stringMatching(/^if test -e .*…$/),
    ]);
  });

  it("output that does not end where the marks say gives no answer rather than a wrong one", () => {
    const result = { code: 0, stdout: "x\nM:0:0\ny", stderr: "\nM:0\n" };
    expect(splitBatchOutput(result, "M", 2)).toEqual([{ code: 0, stdout: "x", stderr: "" }]);
  });
});
