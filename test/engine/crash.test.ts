import { execa } from "execa";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalHost } from "../../src/hosts/local-host.js";
import { Journal } from "../../src/journal/journal.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

async function makeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "mudanza-root-"));
  for (const dir of ["etc", "run", "data"]) await mkdir(join(root, dir));
  await writeFile(join(root, "etc/app.conf"), "listen=127.0.0.1:8080\n");
  return root;
}

async function killedRun(root: string, stateDir: string, stepId: string, when: "after" | "during"): Promise<void> {
  const child = await execa(
    process.execPath,
    ["--import", "tsx", "test/support/crash-child.ts", root, stateDir, stepId, when],
    { reject: false },
  );
  expect(child.signal, child.stderr).toBe("SIGKILL");
}

const local = () => ({ source: new LocalHost("source"), target: new LocalHost("target") });

describe("crash recovery with a real SIGKILL", () => {
  it("a compensation left pending by a crash between steps runs first on the next run", async () => {
    const root = await makeRoot();
    const stateDir = await tempStateDir();
    await killedRun(root, stateDir, "stop-service", "after");
    const crashed = await Journal.read(Journal.pathFor(stateDir, "demo"));
    expect(crashed!.compensations.map((c) => c.id)).toEqual(["start-app"]);
    expect(crashed!.steps["stop-service"]?.status).toBe("done");
    await stat(join(root, "run/app.stopped")); // the "service" is really stopped after the crash

    const { outcome, events } = await runDemo(local(), stateDir, { root });
    expect(exitCodeForRun(outcome)).toBe(0);
    const firstAction = events.find((e) => e.type === "compensation" || e.type === "step-start");
    expect(firstAction).toMatchObject({ type: "compensation", id: "start-app", ok: true });
    expect(await readFile(join(root, "data/app.conf"), "utf8")).toBe("listen=127.0.0.1:8080\n");
    await expect(stat(join(root, "run/app.stopped"))).rejects.toThrow();
  });

  it("a step killed mid-run is found running, re-probed and finished; the journal stays 0600", async () => {
    const root = await makeRoot();
    const stateDir = await tempStateDir();
    await killedRun(root, stateDir, "copy-data", "during");
    const path = Journal.pathFor(stateDir, "demo");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await Journal.read(path))!.steps["copy-data"]?.status).toBe("running");

    const { outcome } = await runDemo(local(), stateDir, { root });
    expect(exitCodeForRun(outcome)).toBe(0);
    expect(await readFile(join(root, "data/app.conf"), "utf8")).toBe("listen=127.0.0.1:8080\n");
    await expect(stat(join(root, "data/app.conf.partial"))).rejects.toThrow();
    const journal = await Journal.read(path);
    expect(Object.values(journal!.steps).every((s) => s.status === "done")).toBe(true);
    expect(journal!.compensations).toEqual([]);
  });
});
