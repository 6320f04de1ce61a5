import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runPipeline } from "../../src/engine/runner.js";
import { defineStep, verifyResult, type Pipeline } from "../../src/engine/step.js";
import { cmd } from "../../src/hosts/quote.js";
import { Journal } from "../../src/journal/journal.js";
import { demoHosts } from "../support/demo-hosts.js";
import { useFailingWrites } from "../support/failing-writes.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const failWrites = useFailingWrites();

/**
 * A cutover as VServer → OpenVZ's start-container does it: the old guest is stopped (compensation: start it
 * again), the new one started (compensation: stop it), and once the new one serves both are cleared.
 */
function cutoverPipeline(hosts: ReturnType<typeof demoHosts>): Pipeline<unknown> {
  const step = defineStep<unknown, null>({
    id: "cutover",
    title: "Start the new one",
    destructive: true,
    probe: async () => ({ satisfied: false, plan: null, findings: [] }),
    commands: () => [],
    async run(ctx) {
      await ctx.compensations.register({
        id: "start-old",
        title: "start the old one again",
        host: "source",
        command: cmd("rm", "-f", "/srv/old.stopped"),
      });
      hosts.source.putFile("/srv/old.stopped", "");
      await ctx.compensations.register({
        id: "stop-new",
        title: "stop the new one",
        host: "target",
        command: cmd("rm", "-f", "/srv/new.running"),
      });
      hosts.target.putFile("/srv/new.running", "");
      await ctx.compensations.clear("stop-new", "start-old");
    },
    verify: async () => verifyResult([]),
  });
  return { kind: "demo", title: "Cutover", steps: [step] };
}

describe("a cutover whose clearing journal write fails", () => {
  it("never leaves the old and the new one serving together: both compensations run, or neither", async () => {
    const hosts = demoHosts();
    const stateDir = await tempDir("mudanza-cutover-");
    const journal = await Journal.open({ stateDir, migrationId: "demo", kind: "demo", planPath: "p", planHash: "h" });
    // The state dir fills up just as the cutover is journaled.
    let bothRegistered = false;
    await failWrites((text) => {
      bothRegistered ||= text.includes('"stop-new"') && text.includes('"start-old"');
      // The write that no longer holds either: a cutover cleared in two writes would see its first one saved.
      return (
        bothRegistered &&
        text.includes('"migrationId"') &&
        !text.includes('"stop-new"') &&
        !text.includes('"start-old"')
      );
    });
    const events: PipelineEvent[] = [];
    const outcome = await runPipeline({
      pipeline: cutoverPipeline(hosts),
      plan: {},
      hosts,
      journal,
      mode: "yes",
      sink: (e) => events.push(e),
      resumeCommand: "mudanza run p --yes",
    });
    await journal.close();

    expect(outcome.status).toBe("failed");
    expect(outcome.message).toContain(`cannot write in the state dir ${stateDir}`);
    const oldServes = !hosts.source.files.has("/srv/old.stopped");
    const newServes = hosts.target.files.has("/srv/new.running");
    expect({ oldServes, newServes }).toEqual({ oldServes: true, newServes: false });
    expect(events.filter((e) => e.type === "compensation").map((e) => e.type === "compensation" && e.id)).toEqual([
      "stop-new",
      "start-old",
    ]);
  });
});
