import { describe, expect, it } from "vitest";
import { useTempDirs } from "../../support/temp-dirs.js";
import { exitCodeForRun } from "../../../src/exit-codes.js";
import { webWorld } from "./scripted-world.js";
import { runWorld, worldPlan } from "./run-world.js";

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
