import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { identify, isSameProcess, processStartTime, statFields } from "../../src/hosts/process-identity.js";
import { lockHeld } from "../../src/journal/lock-state.js";

const stateOf = async (pid: number): Promise<string | undefined> =>
  statFields(await readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""))?.state;

describe("process identity", () => {
  it("reads state and start time after the last ')' of a comm with spaces and parentheses", () => {
    const fields4to21 = "1 ".repeat(18);
    expect(statFields(`42 (a) Z (b c) S ${fields4to21}777 0 0\n`)).toEqual({ state: "S", startTime: "777" });
    expect(statFields(`42 (node) Z ${fields4to21}777 0 0\n`)).toEqual({ state: "Z", startTime: "777" });
    expect(statFields("not a stat line")).toBeNull();
  });

  it("a killed process its parent has not reaped (a zombie) is dead, and a lock it holds is free (new-user trial 8, finding 7)", async () => {
    // The shell starts a sleep, then becomes a sleep that never waits for it: the first sleep, once killed,
    // stays a zombie until this parent ends.
    const parent = spawn("sh", ["-c", "sleep 60 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
    const dir = await mkdtemp(join(tmpdir(), "mudanza-zombie-"));
    try {
      const [line] = (await once(parent.stdout!, "data")) as [Buffer];
      const pid = Number(line.toString().trim());
      const alive = identify(pid);
      expect(alive).not.toBeNull();
      expect(isSameProcess(alive!)).toBe(true);
      const lock = join(dir, "m.journal.json.lock");
      await writeFile(lock, JSON.stringify({ ...alive, since: "2026-12-05T10:00:00.000Z", command: "mudanza x" }));
      expect(lockHeld(join(dir, "m.journal.json"))).toBe(true);

      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 100 && (await stateOf(pid)) !== "Z"; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await stateOf(pid)).toBe("Z"); // still in /proc: only its state says it is dead
      expect(processStartTime(pid)).toBeNull();
      expect(isSameProcess(alive!)).toBe(false);
      expect(lockHeld(join(dir, "m.journal.json"))).toBe(false);
    } finally {
      parent.kill("SIGKILL");
      if (parent.exitCode === null && parent.signalCode === null) await once(parent, "exit");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
