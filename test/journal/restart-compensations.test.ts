import { execa } from "execa";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { Journal } from "../../src/journal/journal.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

const cleanup: string[] = [];
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A run killed (SIGKILL) right after the step that stopped the "service": its compensation is pending. */
async function crashedWhileStopped(): Promise<{ root: string; stateDir: string }> {
  const root = await mkdtemp(join(tmpdir(), "mudanza-root-"));
  const stateDir = await tempStateDir();
  cleanup.push(root, stateDir);
  for (const dir of ["etc", "run", "data"]) await mkdir(join(root, dir));
  await writeFile(join(root, "etc/app.conf"), "listen=127.0.0.1:8080\n");
  const child = await execa(
    process.execPath,
    ["--import", "tsx", "test/support/crash-child.ts", root, stateDir, "stop-service", "after"],
    { reject: false },
  );
  expect(child.signal, child.stderr).toBe("SIGKILL");
  await stat(join(root, "run/app.stopped"));
  return { root, stateDir };
}

const local = () => ({ source: new LocalHost("source"), target: new LocalHost("target") });

describe("--restart and pending compensations", () => {
  it("runs a compensation a crash left pending before anything else, then starts over", async () => {
    const { root, stateDir } = await crashedWhileStopped();
    const { outcome, events } = await runDemo(local(), stateDir, { root, restart: true });
    expect(exitCodeForRun(outcome)).toBe(0);
    const firstAction = events.find((e) => e.type === "compensation" || e.type === "step-start");
    expect(firstAction).toMatchObject({ type: "compensation", id: "start-app", ok: true });
    await expect(stat(join(root, "run/app.stopped"))).rejects.toThrow();
    const journal = await Journal.read(Journal.pathFor(stateDir, "demo"));
    expect(journal!.compensations).toEqual([]);
    expect(journal!.runs).toHaveLength(1); // the crashed run's history is gone: it did start over
  });

  it("refuses a restart under an edited plan, naming each pending compensation, and changes nothing", async () => {
    const { root, stateDir } = await crashedWhileStopped();
    const path = Journal.pathFor(stateDir, "demo");
    const before = await readFile(path, "utf8");
    const error = await runDemo(local(), stateDir, { root, restart: true, planHash: "hash-2" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toMatch(/pending compensation.*on source/);
    expect(await readFile(path, "utf8")).toBe(before);
    await stat(join(root, "run/app.stopped")); // still stopped: the user is told, nothing guessed
  });

  it("a damaged journal has nothing to carry: --restart starts over", async () => {
    const stateDir = await tempStateDir();
    cleanup.push(stateDir);
    await writeFile(Journal.pathFor(stateDir, "m1"), '{"version":1,"migr');
    const journal = await Journal.open({
      stateDir,
      migrationId: "m1",
      kind: "demo",
      planPath: "p.yaml",
      planHash: "h",
      restart: true,
    });
    expect(journal.snapshot.compensations).toEqual([]);
    await journal.close();
  });
});
