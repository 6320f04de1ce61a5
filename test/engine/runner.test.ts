import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { InterruptedError } from "../../src/errors.js";
import { Journal } from "../../src/journal/journal.js";
import { DEMO_STEP_IDS } from "../support/demo-pipeline.js";
import { demoHosts } from "../support/demo-hosts.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";
import { exitCodeForRun } from "../../src/exit-codes.js";

async function cleanRunSnapshots(): Promise<{ source: Record<string, string>; target: Record<string, string> }> {
  const hosts = demoHosts();
  const { outcome } = await runDemo(hosts, await tempStateDir());
  expect(exitCodeForRun(outcome)).toBe(0);
  return { source: hosts.source.snapshot(), target: hosts.target.snapshot() };
}

describe("runner on scripted hosts", () => {
  it("runs every step, verifies it, and journals each as done", async () => {
    const hosts = demoHosts();
    const stateDir = await tempStateDir();
    const { outcome, events } = await runDemo(hosts, stateDir);
    expect(outcome.status).toBe("done");
    const ends = events.filter((e) => e.type === "step-end");
    expect(ends.map((e) => [e.stepId, e.status])).toEqual(DEMO_STEP_IDS.map((id) => [id, "done"]));
    const journal = await Journal.read(Journal.pathFor(stateDir, "demo"));
    expect(Object.values(journal!.steps).map((s) => s.status)).toEqual(["done", "done", "done", "done"]);
    expect(journal!.compensations).toEqual([]);
    expect(hosts.target.files.get("/srv/data/app.conf")?.content).toBe("listen=127.0.0.1:8080\nworkers=4\n");
    expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
  });

  it("dry-run probes every step, changes nothing and writes no journal", async () => {
    const hosts = demoHosts();
    const stateDir = await tempStateDir();
    const { outcome, events } = await runDemo(hosts, stateDir, { mode: "dry-run" });
    expect(outcome.status).toBe("dry-run");
    expect(Object.keys(outcome.probes)).toEqual([...DEMO_STEP_IDS]);
    expect(hosts.source.mutations).toEqual([]);
    expect(hosts.target.mutations).toEqual([]);
    expect(events.some((e) => e.type === "prompt")).toBe(false);
    expect(await Journal.read(Journal.pathFor(stateDir, "demo"))).toBeNull();
  });

  it("a blocker stops the run with exit 3 before anything changes", async () => {
    const hosts = demoHosts();
    hosts.source.deleteFile("/srv/etc/app.conf");
    const { outcome } = await runDemo(hosts, await tempStateDir());
    expect(exitCodeForRun(outcome)).toBe(3);
    expect(outcome.message).toContain("no config");
    expect(hosts.source.mutations).toEqual([]);
    expect(hosts.target.mutations).toEqual([]);
  });

  it("a probe that throws is reported as a blocker, and a dry-run still probes the other steps", async () => {
    const hosts = demoHosts();
    const original = hosts.target.readFile.bind(hosts.target);
    hosts.target.readFile = async (path) => {
      if (path.endsWith("/data/app.conf")) throw new Error("connection reset");
      return original(path);
    };
    const { outcome } = await runDemo(hosts, await tempStateDir(), { mode: "dry-run" });
    expect(exitCodeForRun(outcome)).toBe(3);
    expect(outcome.findings.find((f) => f.blocks)).toMatchObject({
      title: "cannot check copy-data",
      summary: "connection reset",
    });
    expect(Object.keys(outcome.probes)).toEqual([...DEMO_STEP_IDS]);
  });

  it.each(DEMO_STEP_IDS)(
    "a failure injected in %s, then a re-run, ends in the same state as a clean run",
    async (stepId) => {
      const clean = await cleanRunSnapshots();
      const hosts = demoHosts();
      const stateDir = await tempStateDir();
      const first = await runDemo(hosts, stateDir, { failOnce: new Set([stepId]) });
      expect(exitCodeForRun(first.outcome)).toBe(1);
      expect(first.events.find((e) => e.type === "step-end" && e.stepId === stepId)).toMatchObject({
        status: "failed",
      });
      // the service is never left stopped after a failure
      expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
      const second = await runDemo(hosts, stateDir);
      expect(exitCodeForRun(second.outcome)).toBe(0);
      expect(hosts.source.snapshot()).toEqual(clean.source);
      expect(hosts.target.snapshot()).toEqual(clean.target);
      // steps done before the failure were re-verified and skipped, except stop-service, whose work the
      // compensation undid (the service ran again), and every step after it: they run again
      const before = DEMO_STEP_IDS.slice(0, DEMO_STEP_IDS.indexOf(stepId));
      const undone = DEMO_STEP_IDS.indexOf("stop-service");
      for (const id of before) {
        const expected =
          DEMO_STEP_IDS.indexOf(id) >= undone
            ? { status: "done" }
            : { status: "skipped", message: "done in an earlier run; verified again" };
        expect(second.events.find((e) => e.type === "step-end" && e.stepId === id)).toMatchObject(expected);
      }
    },
  );

  it("declining a gate stops before the step runs, and compensations still run", async () => {
    const hosts = demoHosts();
    const asked: string[] = [];
    const { outcome, events } = await runDemo(hosts, await tempStateDir(), {
      mode: "interactive",
      confirm: async (prompt) => {
        asked.push(prompt.stepId);
        return prompt.stepId === "stop-service";
      },
    });
    expect(asked).toEqual(["stop-service", "copy-data"]);
    expect(outcome.status).toBe("declined");
    expect(exitCodeForRun(outcome)).toBe(1);
    expect(hosts.target.mutations).toEqual([]);
    expect(events.filter((e) => e.type === "compensation").map((e) => e.ok)).toEqual([true]);
    expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
  });

  it("without a way to ask, a gate's answer is no", async () => {
    const hosts = demoHosts();
    const { outcome } = await runDemo(hosts, await tempStateDir(), { mode: "interactive" });
    expect(outcome.status).toBe("declined");
    expect(hosts.source.mutations).toEqual([]);
  });

  it("SIGINT during a step stops it, runs compensations and exits 130; SIGTERM exits 143", async () => {
    for (const [signal, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      const hosts = demoHosts();
      const controller = new AbortController();
      const { outcome, events } = await runDemo(hosts, await tempStateDir(), {
        during: (id) => {
          if (id === "copy-data") controller.abort(new InterruptedError(signal));
        },
        signal: controller.signal,
      });
      expect(exitCodeForRun(outcome)).toBe(code);
      expect(outcome.status).toBe("interrupted");
      expect(events.some((e) => e.type === "compensation" && e.ok)).toBe(true);
      expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
      const end = events.at(-1);
      expect(end).toMatchObject({ type: "pipeline-end", resumeCommand: "mudanza run demo.yaml --yes" });
    }
  });

  /** Aborts (as SIGINT does) right after the run phase has probed `stepId`, before its gate. */
  const abortAfterProbe = (controller: AbortController, stepId: string) => {
    let probes = 0; // the first probe of each step is the preflight's
    return (e: PipelineEvent): void => {
      if (e.type === "step-probed" && e.stepId === stepId && ++probes === 2)
        controller.abort(new InterruptedError("SIGINT"));
    };
  };

  it("Ctrl-C between a step's probe and its gate stops before it runs, with --yes (exit 130, nothing ran)", async () => {
    const hosts = demoHosts();
    const controller = new AbortController();
    const { outcome, events } = await runDemo(hosts, await tempStateDir(), {
      signal: controller.signal,
      onEvent: abortAfterProbe(controller, "stop-service"),
    });
    expect({ status: outcome.status, exit: exitCodeForRun(outcome) }).toMatchObject({
      status: "interrupted",
      exit: 130,
    });
    expect(events.some((e) => e.type === "step-start" && e.stepId === "stop-service" && e.phase === "run")).toBe(false);
    expect(events.some((e) => e.type === "prompt-answer" && e.accepted)).toBe(false);
    expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
  });

  it("Ctrl-C between probe and gate, interactive: q (an answer of no after the abort) means interrupted, not declined", async () => {
    const hosts = demoHosts();
    const controller = new AbortController();
    let asked = 0;
    const { outcome } = await runDemo(hosts, await tempStateDir(), {
      mode: "interactive",
      signal: controller.signal,
      onEvent: abortAfterProbe(controller, "stop-service"),
      // The TUI's q: abort (already done here), then answer no.
      confirm: async () => {
        asked++;
        return false;
      },
    });
    expect({ status: outcome.status, exit: exitCodeForRun(outcome) }).toMatchObject({
      status: "interrupted",
      exit: 130,
    });
    expect(asked).toBe(0); // an interrupted run does not ask
    expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
  });

  it("q at an open gate and Ctrl-C at an open gate end the same way (exit 130)", async () => {
    for (const how of ["q", "ctrl-c"] as const) {
      const hosts = demoHosts();
      const controller = new AbortController();
      const { outcome } = await runDemo(hosts, await tempStateDir(), {
        mode: "interactive",
        signal: controller.signal,
        confirm: (prompt) => {
          if (prompt.stepId !== "stop-service") return Promise.resolve(true);
          controller.abort(new InterruptedError("SIGINT"));
          // q also answers no; Ctrl-C from the terminal leaves the question open.
          return how === "q" ? Promise.resolve(false) : new Promise<boolean>(() => undefined);
        },
      });
      expect({ status: outcome.status, exit: exitCodeForRun(outcome) }, how).toMatchObject({
        status: "interrupted",
        exit: 130,
      });
    }
  });

  /** The demo run with an admin who presses Ctrl-C at stop-service's gate (the question stays open). */
  const ctrlCAtStopService = (hosts: ReturnType<typeof demoHosts>, stateDir: string) => {
    const controller = new AbortController();
    return runDemo(hosts, stateDir, {
      mode: "interactive",
      signal: controller.signal,
      confirm: (prompt) => {
        if (prompt.stepId !== "stop-service") return Promise.resolve(true);
        controller.abort(new InterruptedError("SIGINT"));
        return new Promise<boolean>(() => undefined);
      },
    });
  };
  /** stop-service's record in the demo journal, as a later run finds it. */
  const stopServiceRecord = async (stateDir: string) =>
    (await Journal.read(Journal.pathFor(stateDir, "demo")))?.steps["stop-service"];

  it("Ctrl-C at a gate leaves the step as it was, not failed: nothing in it ran (found by a new-user trial)", async () => {
    const stateDir = await tempStateDir();
    const { events } = await ctrlCAtStopService(demoHosts(), stateDir);
    const end = events.find((e) => e.type === "step-end" && e.stepId === "stop-service");
    expect(end).toMatchObject({
      status: "pending",
      message: "interrupted by SIGINT before it ran: nothing in that step ran",
    });
    expect(await stopServiceRecord(stateDir)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("Ctrl-C at the gate of a step that failed before keeps its failure on record, not 'nothing ran' (review)", async () => {
    const hosts = demoHosts();
    const stateDir = await tempStateDir();
    await runDemo(hosts, stateDir, { failOnce: new Set(["stop-service"]) });
    const failed = await stopServiceRecord(stateDir);
    expect(failed?.status).toBe("failed");
    await ctrlCAtStopService(hosts, stateDir);
    expect(await stopServiceRecord(stateDir)).toEqual(failed);
  });

  it("a done step whose work was undone is re-run on resume, with every step after it", async () => {
    const hosts = demoHosts();
    const stateDir = await tempStateDir();
    await runDemo(hosts, stateDir);
    hosts.target.deleteFile("/srv/data/app.conf");
    const { outcome, events } = await runDemo(hosts, stateDir);
    expect(exitCodeForRun(outcome)).toBe(0);
    expect(events.find((e) => e.type === "step-end" && e.stepId === "copy-data")).toMatchObject({ status: "done" });
    expect(hosts.target.files.get("/srv/data/app.conf")?.content).toContain("workers=4");
  });

  it("refuses to resume when the plan changed, unless asked to restart", async () => {
    const hosts = demoHosts();
    const stateDir = await tempStateDir();
    await runDemo(hosts, stateDir, { failOnce: new Set(["copy-data"]) });
    await expect(runDemo(hosts, stateDir, { planHash: "hash-2" })).rejects.toThrow(
      /changed since migration "demo" started/,
    );
    const journal = await Journal.open({
      stateDir,
      migrationId: "demo",
      kind: "demo",
      planPath: "demo.yaml",
      planHash: "hash-2",
      restart: true,
    });
    expect(journal.snapshot.steps).toEqual({});
    await journal.close();
  });
});
