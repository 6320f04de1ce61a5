import { describe, expect, it } from "vitest";
import { useTempDirs } from "../../support/temp-dirs.js";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { DONE_EARLIER } from "../../../src/engine/done-earlier.js";
import type { PipelineEvent } from "../../../src/engine/events.js";
import { webWorld, type World } from "./scripted-world.js";
import { COMPENSATION, restartGuestCommand } from "../../../src/steps/vserver-to-openvz/context.js";
import { runWorld, worldJournal, worldPlan } from "./run-world.js";

/** Temporary directories of this file's tests, removed after each. */
const tempDir = useTempDirs();

const RECORDED_SERVICES = "init, rsyslogd, cron, sshd, apache2, ntpd";

describe("a dry run of a VServer migration already under way (new-user trial 10, finding 1)", () => {
  it("takes the private area its own copy made for its own, not for a taken CTID", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    // Run 1: inventory and live copy done (/vz/private/1001 made), the admin declines the stop.
    const first = await runWorld(world, "interactive", worldPlan(), stateDir, async () => false);
    expect(first.outcome.status).toBe("declined");
    expect(world.target.files.has("/vz/private/1001/etc/hostname")).toBe(true);

    const { outcome } = await runWorld(world, "dry-run", worldPlan(), stateDir);
    expect(outcome.findings.filter((f) => f.blocks)).toEqual([]);
    expect(outcome.status).toBe("dry-run");
    expect(exitCodeForRun(outcome)).toBe(0);
    const inventory = outcome.probes.inventory!;
    expect(inventory.details).toContainEqual(
      expect.stringMatching(/^\/vz\/private\/1001 exists: this migration's own copy, made by an earlier run/),
    );
    expect(inventory.satisfied).toBe(true);
  });

  it("after a failed start, both the config and the private area are its own; a stopped guest's services are the journal's", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    world.containerProcesses = ["init", "sshd"]; // apache2 does not come up: the checks fail, the guest starts again
    const plan = worldPlan(", startCheckTimeoutSec: 0");
    expect((await runWorld(world, "yes", plan, stateDir)).outcome.status).toBe("failed");
    expect(world.target.files.has("/etc/vz/conf/1001.conf")).toBe(true);
    world.state.guestRunning = false; // the admin stopped web1 again by hand

    const { outcome } = await runWorld(world, "dry-run", plan, stateDir);
    expect(outcome.findings.filter((f) => f.blocks)).toEqual([]);
    expect(outcome.status).toBe("dry-run");
    expect(outcome.findings.map((f) => f.title)).not.toContain("Guest is stopped");
    const details = outcome.probes.inventory!.details ?? [];
    expect(details).toContainEqual(expect.stringMatching(/^\/etc\/vz\/conf\/1001\.conf exists: this migration's own/));
    expect(details).toContainEqual(expect.stringMatching(/^\/vz\/private\/1001 exists: this migration's own copy/));
    expect(details).toContainEqual(`services to find again: ${RECORDED_SERVICES} (recorded while web1 ran)`);
  });
});

/** What each step's end said in a run: "sync-live skipped: done in an earlier run; verified again". */
const ends = (events: PipelineEvent[]) =>
  events.flatMap((e) => (e.type === "step-end" ? [`${e.stepId} ${e.status}${e.message ? `: ${e.message}` : ""}`] : []));

describe("a dry run shows a step an earlier run did as the run will treat it (review)", () => {
  it("done, when its verify passes again: the live copy is not said to run again", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    // Run 1: inventory and live copy done, the admin declines the stop.
    expect((await runWorld(world, "interactive", worldPlan(), stateDir, async () => false)).outcome.status).toBe(
      "declined",
    );

    const dry = await runWorld(world, "dry-run", worldPlan(), stateDir);
    expect(dry.outcome.probes["sync-live"]).toMatchObject({ satisfied: true, reason: DONE_EARLIER, commands: [] });
    expect(dry.outcome.probes["sync-live"]!.details).toEqual([
      "checked again: private area exists on the node (/vz/private/1001)",
    ]);
    // the report still lists what the copy leaves out (the step's facts)
    expect(dry.outcome.probes["sync-live"]!.facts?.excludes).toEqual(expect.arrayContaining([expect.anything()]));
    expect(dry.outcome.probes["stop-and-final-sync"]).toMatchObject({ satisfied: false });
    // the run itself: the same two steps skipped with the same words
    const again = await runWorld(world, "interactive", worldPlan(), stateDir, async () => false);
    expect(ends(again.events).slice(0, 2)).toEqual([
      `inventory skipped: ${DONE_EARLIER}`,
      `sync-live skipped: ${DONE_EARLIER}`,
    ]);
  });

  it("to run again, when its verify fails: the run redoes it", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    await runWorld(world, "interactive", worldPlan(), stateDir, async () => false);
    world.target.deleteFile("/vz/private/1001"); // the private area removed by hand since

    const dry = await runWorld(world, "dry-run", worldPlan(), stateDir);
    expect(dry.outcome.probes["sync-live"]).toMatchObject({ satisfied: false });
    expect(dry.outcome.probes["sync-live"]!.commands.length).toBeGreaterThan(0);
    const again = await runWorld(world, "interactive", worldPlan(), stateDir, async () => false);
    expect(ends(again.events)).toContain("sync-live done");
  });
});

const RESTARTS =
  "the container takes over 198.18.10.21; if a check fails it is stopped and web1 is started again on the VServer host";
/** Every line the start step's probes and gate said about the guest, in order. */
const startPromises = (events: PipelineEvent[]) =>
  events.flatMap((e) =>
    (e.type === "step-probed" || e.type === "prompt") && e.stepId === "start-container" ? (e.details ?? []) : [],
  );
const declineTheStart = async (prompt: { stepId: string }) => prompt.stepId !== "start-container";

/** Run 1 stops web1 for its final pass and is declined at the start gate: its undo starts web1 again. */
async function afterFinalPass(world: World, stateDir: string) {
  expect((await runWorld(world, "interactive", worldPlan(), stateDir, declineTheStart)).outcome.status).toBe(
    "declined",
  );
  expect(world.state.guestRunning).toBe(true);
}

describe("the start gate on a resume after a finished final pass (review)", () => {
  it("a real run's checks before its first step already promise to start web1 again, as its gate does", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    await afterFinalPass(world, stateDir);
    const again = await runWorld(world, "interactive", worldPlan(), stateDir, declineTheStart);
    // the preflight (the final pass done, not probed) said web1 stays stopped, then the redone pass stopped it
    expect(startPromises(again.events)).toEqual([RESTARTS, RESTARTS, RESTARTS]);
    expect(ends(again.events)).toContain("stop-and-final-sync done");
  });

  it("after a run killed past its final pass (web1 stopped, its undo pending), the dry run says the run starts web1 first, stops it again and would start it after a failed check", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    await afterFinalPass(world, stateDir);
    // what a kill at the start gate leaves instead: web1 stopped, the final pass's undo pending in the journal
    world.state.guestRunning = false;
    const journal = await worldJournal(stateDir);
    await journal.addCompensation({
      id: COMPENSATION.restartGuest,
      title: "start the VServer guest web1 again",
      host: "source",
      command: restartGuestCommand("web1"),
      registeredBy: "stop-and-final-sync",
    });
    await journal.close();

    const dry = await runWorld(world, "dry-run", worldPlan(), stateDir);
    expect(dry.outcome.probes["stop-and-final-sync"]?.details).toEqual([
      "web1 is stopped now: an earlier run of this migration stopped it and did not start it again (it was killed, or its undo failed); the run starts it first (its pending undo)",
      "web1 stops here and stays stopped; if a later step fails it is started again (`vserver web1 start`)",
    ]);
    expect(dry.outcome.probes["stop-and-final-sync"]?.commands.map((c) => c.command)).toContain("vserver web1 stop");
    expect(startPromises(dry.events)).toEqual([RESTARTS]);
    expect(world.state.guestRunning).toBe(false); // the dry run started nothing

    // the run does what the dry run said: starts web1 first, stops it in the final pass, starts it after the decline
    const logged = world.source.log.length;
    const again = await runWorld(world, "interactive", worldPlan(), stateDir, declineTheStart);
    expect(startPromises(again.events).every((line) => line === RESTARTS)).toBe(true);
    const guestCommands = world.source.log
      .slice(logged)
      .flatMap((e) => (e.kind === "exec" && /^vserver web1 (stop|running)/.test(e.command) ? [e.command] : []));
    expect(guestCommands).toEqual([restartGuestCommand("web1"), "vserver web1 stop", restartGuestCommand("web1")]);
    expect(world.state.guestRunning).toBe(true);
  });
});
