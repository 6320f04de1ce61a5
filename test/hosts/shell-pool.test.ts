/** ShellPool: which of a dry run's kept shells a batch goes to, and what happens when shells fail or end. */
import { describe, expect, it } from "vitest";
import { ShellPool, type KeptShell } from "../../src/hosts/ssh/shell-pool.js";
import type { ShellSession } from "../../src/hosts/ssh/shell-session.js";

/** A stand-in for a kept shell: scripts it was sent stay waiting (never answered); close ends it. */
function fakeShell(tag: string, alreadyWaiting = 0) {
  let closed = false;
  const scripts: string[] = [];
  const session = {
    get alive() {
      return !closed;
    },
    get waiting() {
      return alreadyWaiting + scripts.length;
    },
    run: (script: string) => {
      scripts.push(script);
      return new Promise(() => undefined);
    },
    close: () => void (closed = true),
  } as unknown as ShellSession;
  const shell: KeptShell = { session, tag };
  return { shell, scripts, closed: () => closed };
}

/** Opens are answered by the test, in any order: `answers[i](shell)` resolves the i-th open. */
function controlledOpens() {
  const answers: Array<(shell: KeptShell | undefined) => void> = [];
  const open = () => new Promise<KeptShell | undefined>((resolve) => answers.push(resolve));
  return { open, answers };
}

describe("ShellPool", () => {
  it("the first batch opens every shell at once and goes to the first one open", async () => {
    const { open, answers } = controlledOpens();
    const pool = new ShellPool(open, 2);
    const sent = pool.send("first batch");
    expect(answers).toHaveLength(2);
    const [first, second] = [fakeShell("first"), fakeShell("second")];
    answers[1]!(second.shell);
    expect((await sent)?.shell.tag).toBe("second");
    expect(second.scripts).toEqual(["first batch"]);
    answers[0]!(first.shell);
    await pool.send("next");
    expect(answers).toHaveLength(2);
  });

  it("batches sent in the same turn spread over the shells, each to the one with the fewest scripts waiting", async () => {
    const [busy, idle] = [fakeShell("busy", 2), fakeShell("idle")];
    const shells = [busy, idle];
    const pool = new ShellPool(async () => shells.shift()?.shell, 2);
    const sent = await Promise.all(["a", "b", "c", "d"].map((script) => pool.send(script)));
    // a tie goes to the shell opened first ("busy")
    expect(sent.map((s) => s?.shell.tag)).toEqual(["idle", "idle", "busy", "idle"]);
    expect([idle.scripts, busy.scripts]).toEqual([["a", "b", "d"], ["c"]]);
    idle.shell.session.close();
    expect((await pool.send("e"))?.shell.tag).toBe("busy");
    busy.shell.session.close();
    expect(await pool.send("f")).toBeUndefined();
  });

  it("a shell that cannot be opened is not asked for again; with none open, send answers undefined", async () => {
    let opens = 0;
    const pool = new ShellPool(async () => {
      opens++;
      if (opens === 1) throw new Error("channel refused");
      return undefined;
    }, 2);
    expect(await pool.send("a")).toBeUndefined();
    expect(await pool.send("b")).toBeUndefined();
    expect(opens).toBe(2);
  });

  it("close ends the open shells and those still opening", async () => {
    const { open, answers } = controlledOpens();
    const pool = new ShellPool(open, 2);
    const sent = pool.send("a");
    const [early, late] = [fakeShell("early"), fakeShell("late")];
    answers[0]!(early.shell);
    await sent;
    pool.close();
    answers[1]!(late.shell);
    await new Promise((resolve) => setImmediate(resolve));
    expect([early.closed(), late.closed()]).toEqual([true, true]);
    expect(await pool.send("b")).toBeUndefined();
  });
});
