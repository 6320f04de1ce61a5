import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CommandFailedError, execOk } from "../../src/hosts/host.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { liveGroupMembers, runningGroups } from "../../src/hosts/process-group.js";

const host = new LocalHost("local");
// The shell prints its pid (= its group's id) and the pid of the sleep it started in the background.
const LONG = "echo $$; sleep 300 & echo $!; wait";
const pids = (stdout: string): [number, number] => {
  const [group, sleep] = stdout.trim().split("\n").map(Number);
  return [group!, sleep!];
};

describe("LocalHost commands", () => {
  it("with stdoutTailChars keeps only the end of stdout, from a line start; every line still reaches onStdout", async () => {
    let lines = 0;
    let last = "";
    const result = await host.exec("seq 1 300000", {
      stdoutTailChars: 1000,
      onStdout: (l) => ((lines += 1), (last = l)),
    });
    expect(lines).toBe(300_000);
    expect(last).toBe("300000");
    expect(result.stdout.length).toBeLessThanOrEqual(1000);
    expect(result.stdout.endsWith("299999\n300000\n")).toBe(true);
    expect(result.stdout.split("\n")[0]).toMatch(/^\d+$/);
    expect(Number(result.stdout.split("\n")[0]) + result.stdout.trim().split("\n").length - 1).toBe(300_000);
    expect((await host.exec("seq 1 3", { stdoutTailChars: 1000 })).stdout).toBe("1\n2\n3\n");
  });

  it("onStdoutText gets all of stdout in order, multi-byte characters whole, while the result keeps only its tail", async () => {
    const pieces: string[] = [];
    // 200,000 lines of "é<n>\r": more than one pipe read, so characters and records are cut between chunks.
    const result = await host.exec("seq 1 200000 | sed 's/^/é/' | tr '\\n' '\\r'", {
      stdoutTailChars: 100,
      onStdoutText: (text) => pieces.push(text),
    });
    expect(result.code).toBe(0);
    expect(pieces.length).toBeGreaterThan(1);
    const text = pieces.join("");
    expect(text.split("\r").slice(0, -1)).toEqual(Array.from({ length: 200_000 }, (_, i) => `é${i + 1}`));
    expect(result.stdout.length).toBeLessThanOrEqual(100);
  });

  it("with stdoutBatchMs, what the command writes while reading is stopped arrives as one chunk, and its exit does not wait out the batch", async () => {
    const pieces: string[] = [];
    const started = Date.now();
    // Read as it comes, this is three chunks: each write is 300 ms after the one before.
    const result = await host.exec("printf a; sleep 0.3; printf b; sleep 0.3; printf c", {
      stdoutBatchMs: 60_000,
      onStdoutText: (text) => pieces.push(text),
    });
    expect(result).toMatchObject({ code: 0, stdout: "abc" });
    expect(pieces.join("")).toBe("abc");
    expect(pieces.length).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(60_000); // the exit flushed the pipe; no batch waited out
  });

  it("with stdoutBatchMs, a flood of records (reads of a nearly full pipe included) arrives whole and in order", async () => {
    const pieces: string[] = [];
    await host.exec("seq 1 200000 | sed 's/^/é/' | tr '\\n' '\\r'", {
      stdoutBatchMs: 20,
      stdoutTailChars: 100,
      onStdoutText: (text) => pieces.push(text),
    });
    expect(pieces.join("").split("\r").slice(0, -1)).toEqual(Array.from({ length: 200_000 }, (_, i) => `é${i + 1}`));
  });

  it("with stdoutBatchMs, an abort while reading is stopped ends the command at once, with everything it started", async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const running = host.exec(LONG, {
      stdoutBatchMs: 60_000,
      signal: controller.signal,
      onStdoutText: (text) => {
        pieces.push(text);
        controller.abort();
      },
    });
    const result = await running;
    expect(result).toMatchObject({ code: -1, aborted: true });
    const [group] = pids(result.stdout);
    expect(group).toBeGreaterThan(0);
    expect(liveGroupMembers(group)).toEqual([]);
    expect(runningGroups().size).toBe(0);
  });

  it("runs a command with stdin, output lines and its exit code", async () => {
    const lines: string[] = [];
    const result = await host.exec("cat; echo done >&2; exit 3", { stdin: "a\nb\n", onStdout: (l) => lines.push(l) });
    expect(result).toMatchObject({ code: 3, stdout: "a\nb\n", stderr: "done\n" });
    expect(lines).toEqual(["a", "b"]);
    expect(runningGroups().size).toBe(0);
  });

  it("a stdin given later: the command runs with stdin open and reads it when it is known", async () => {
    let give!: (text: string) => void;
    const stdin = new Promise<string>((resolve) => (give = resolve));
    // Given only once the command said it runs: a command started after its stdin was known would hang here.
    const result = await host.exec('echo ready; read -r word; echo "got $word"', {
      stdin,
      onStdout: (line) => line === "ready" && give("go\n"),
    });
    expect(result).toMatchObject({ code: 0, stdout: "ready\ngot go\n" });
  });

  it("a stdin that is rejected reaches the command as an empty one (EOF)", async () => {
    const result = await host.exec('if read -r word; then echo "got $word"; else echo eof; fi', {
      stdin: Promise.reject(new Error("the list could not be made")),
    });
    expect(result).toMatchObject({ code: 0, stdout: "eof\n" });
  });

  it("the silence watchdog stops a command that goes quiet, with everything it started, and says how long it was silent", async () => {
    const result = await host.exec(LONG, { silenceTimeoutMs: 1000 });
    expect(result.code).toBe(-1);
    expect(result.silentMs).toBeGreaterThanOrEqual(1000);
    const [group, sleep] = pids(result.stdout);
    expect(sleep).toBeGreaterThan(0);
    expect(liveGroupMembers(group)).toEqual([]); // the shell and its background sleep
    const error = await execOk(host, LONG, { silenceTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toMatch(
      /^on local \(local\): `echo \$\$; sleep 300 & echo \$!; wait` printed nothing for 1 s and was stopped \(silence watchdog\)/,
    );
  });

  it("output keeps the watchdog quiet even when the command runs longer than its window", async () => {
    const result = await host.exec("i=0; while [ $i -lt 20 ]; do echo $i; sleep 0.1; i=$((i+1)); done", {
      silenceTimeoutMs: 1500,
    });
    expect(result.code).toBe(0);
    expect(result.silentMs).toBeUndefined();
    expect(result.stdout.trim().split("\n")).toHaveLength(20);
  });

  it("a command that prints nothing but shows progress another way (a file it writes grows) is left running", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-grow-"));
    try {
      const file = join(dir, "out");
      let last = -1;
      const grows = async (): Promise<boolean> => {
        const size = (await host.stat(file))?.size ?? -1;
        const grew = size > last;
        last = size;
        return grew;
      };
      // Silent on stdout for about 3 s, three times the window, while the file grows every 0.1 s.
      const writer = `i=0; while [ $i -lt 30 ]; do echo x >> ${file}; sleep 0.1; i=$((i+1)); done`;
      expect(await host.exec(writer, { silenceTimeoutMs: 1000, stillBusy: grows })).toMatchObject({
        code: 0,
        silentMs: undefined,
      });
      const stalled = await host.exec(`echo x >> ${file}; sleep 300`, { silenceTimeoutMs: 1000, stillBusy: grows });
      expect(stalled.code).toBe(-1);
      expect(stalled.silentMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("abort and timeout stop the whole process group, not only the shell", async () => {
    const controller = new AbortController();
    const aborted = await host.exec(LONG, {
      signal: controller.signal,
      onStdout: (line) => line && setTimeout(() => controller.abort()),
    });
    expect(aborted).toMatchObject({ code: -1, aborted: true });
    expect(liveGroupMembers(pids(aborted.stdout)[0])).toEqual([]);
    const timedOut = await host.exec(LONG, { timeoutMs: 300 });
    expect(timedOut).toMatchObject({ code: -1, timedOut: true });
    expect(liveGroupMembers(pids(timedOut.stdout)[0])).toEqual([]);
    expect(runningGroups().size).toBe(0);
  });

  it("a command that ignores TERM is killed after the grace period", async () => {
    const result = await host.exec("trap '' TERM; echo $$; while :; do sleep 0.2; done", { timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(liveGroupMembers(Number(result.stdout.trim()))).toEqual([]);
  });
});
