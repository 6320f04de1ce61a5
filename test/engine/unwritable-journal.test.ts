import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { Compensation } from "../../src/engine/step.js";
import { exitCodeForRun } from "../../src/exit-codes.js";
import { Journal } from "../../src/journal/journal.js";
import { demoHosts } from "../support/demo-hosts.js";
import { useFailingWrites } from "../support/failing-writes.js";
import { runDemo } from "../support/run-demo.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();

/** The demo's journal with `compensation` pending, as a killed earlier run leaves it. */
async function seedPendingCompensation(stateDir: string, compensation: Compensation): Promise<void> {
  const seeded = await Journal.open({
    stateDir,
    migrationId: "demo",
    kind: "demo",
    planPath: "demo.yaml",
    planHash: "hash-1",
  });
  try {
    await seeded.addCompensation(compensation);
  } finally {
    await seeded.close();
  }
}
const failWrites = useFailingWrites();

// Found by a new-user trial: a state dir that filled up during a run threw out of the runner (exit 70, "this is
// a bug"), past the compensation of what the run had stopped on a host.
describe("a run whose state dir fills up part-way", () => {
  it("fails naming the state dir and the cause, still runs the compensations, and resumes once there is space", async () => {
    const hosts = demoHosts();
    const stateDir = await tempDir("mudanza-full-");
    let full = false;
    await failWrites((text) => full && text.includes('"migrationId"'));
    // copy-data runs after stop-service stopped the "service" and journaled its compensation.
    const { outcome, events } = await runDemo(hosts, stateDir, {
      during: (id) => void (full ||= id === "copy-data"),
    });
    full = false;

    expect(outcome.status).toBe("failed");
    expect(exitCodeForRun(outcome)).toBe(1);
    expect(outcome.message).toContain(`cannot write in the state dir ${stateDir}: ENOSPC`);
    expect(events.filter((e) => e.type === "compensation")).toMatchObject([{ id: "start-app", ok: true }]);
    // this run's own undo: not one an earlier run left pending
    expect(events.flatMap((e) => (e.type === "compensation" ? [e.earlierRun] : []))).toEqual([undefined]);
    expect(hosts.source.files.has("/srv/run/app.stopped"), "the service stopped by the run was not started").toBe(
      false,
    );
    expect(events.at(-1)).toMatchObject({ type: "pipeline-end", status: "failed" });

    // The journal is as last saved: valid, copy-data running, the compensation still pending (the next run
    // runs it first: the journal could not record that it ran), and no temp or lock file beside it.
    const journal = await Journal.read(Journal.pathFor(stateDir, "demo"));
    expect(journal?.steps["copy-data"]?.status).toBe("running");
    expect(journal?.compensations.map((c) => c.id)).toEqual(["start-app"]);
    expect(await readdir(stateDir)).toEqual(["demo.journal.json"]);

    const again = await runDemo(hosts, stateDir);
    expect(again.outcome.status).toBe("done");
    expect((await Journal.read(Journal.pathFor(stateDir, "demo")))?.compensations).toEqual([]);
  });

  it("a run that cannot journal its start changes nothing, runs an earlier run's pending compensations, and fails", async () => {
    const hosts = demoHosts();
    const stateDir = await tempDir("mudanza-full-");
    let full = false;
    await failWrites((text) => full && text.includes('"migrationId"'));
    const first = await runDemo(hosts, stateDir, { failOnce: new Set(["copy-data"]) });
    expect(first.outcome.status).toBe("failed");
    // As after a kill: the service is stopped again and its compensation is pending.
    hosts.source.putFile("/srv/run/app.stopped", "stopped\n");
    await seedPendingCompensation(stateDir, {
      id: "start-app",
      title: "start app",
      host: "source",
      command: "rm -f /srv/run/app.stopped",
      registeredBy: "stop-service",
    });

    full = true;
    const mutationsBefore = hosts.target.mutations.length;
    const { outcome, events } = await runDemo(hosts, stateDir);
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toContain(`cannot write in the state dir ${stateDir}: ENOSPC`);
    expect(events.filter((e) => e.type === "compensation")).toMatchObject([
      { id: "start-app", ok: true, earlierRun: true },
    ]);
    expect(hosts.source.files.has("/srv/run/app.stopped")).toBe(false);
    expect(hosts.target.mutations.length).toBe(mutationsBefore);
    expect(events.some((e) => e.type === "step-start" && e.phase === "run")).toBe(false);
    expect(await readdir(stateDir)).toEqual(["demo.journal.json"]);
  });

  it("an earlier run's compensation that fails again is named even when the journal cannot record its failure", async () => {
    const hosts = demoHosts();
    const stateDir = await tempDir("mudanza-full-");
    await seedPendingCompensation(stateDir, {
      id: "start-db",
      title: "start the databases again",
      host: "source",
      command: "systemctl start mariadb.service",
      registeredBy: "db-freeze",
    });
    await failWrites((text) => text.includes('"migrationId"'));
    const { outcome } = await runDemo(hosts, stateDir);
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toContain('"start the databases again" on the source');
    expect(outcome.message).toContain("no rule for: systemctl start mariadb.service");
    expect(outcome.message).toContain(`cannot write in the state dir ${stateDir}: ENOSPC`);
  });
});
