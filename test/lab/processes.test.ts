import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reapLeftovers, setProcessStateFile, startTracked, stopTracked } from "../../src/lab/processes.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
}

describe("the lab's leftover reaper", () => {
  it("stops a process recorded while its wrapper had not yet exec'd into the wrapped command (ip netns exec)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mz-lab-processes-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const stateFile = join(dir, "lab.pids");
    setProcessStateFile(stateFile);
    // a wrapper that execs into the rest of its argv once told to, as `ip netns exec NS` does at once:
    // the state is written while the process still shows the wrapper's command line
    const go = join(dir, "go");
    const wrapper = ["sh", "-c", 'while [ ! -e "$0" ]; do sleep 0.05; done; exec "$@"', go];
    const proc = startTracked("wrapped sleep", [...wrapper, "sleep", "313.71"], join(dir, "log"), {
      wrapperWords: wrapper.length,
    });
    cleanups.push(() => stopTracked(proc, 1000));
    const recorded = JSON.parse(await readFile(stateFile, "utf8")) as Array<{ pid: number; cmdline: string }>;
    expect(recorded.find((e) => e.pid === proc.pid)?.cmdline).toMatch(/^sh\0-c\0/);

    await writeFile(go, "");
    for (let i = 0; i < 200 && cmdlineOf(proc.pid) !== "sleep\u0000313.71\u0000"; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(cmdlineOf(proc.pid)).toBe("sleep\u0000313.71\u0000");

    expect(await reapLeftovers(stateFile)).toEqual([`wrapped sleep (pid ${proc.pid})`]);
    expect((await proc.exited).signal).toBe("SIGTERM");
  });
});
