import { describe, expect, it } from "vitest";
import { useTempDirs } from "../../support/temp-dirs.js";
import type { PipelineEvent } from "../../../src/engine/events.js";
import type { RunMode } from "../../../src/engine/runner.js";
import { vzConfValues } from "../../../src/openvz/vz-conf.js";
import { innerRsync, RSYNC_PASS } from "../../support/locked-rsync.js";
import { webWorld, type World } from "./scripted-world.js";
import { runWorld, worldPlan } from "./run-world.js";
import { exitCodeForRun } from "../../../src/exit-codes.js";

/** Temporary directories of this file's tests, removed after each. */
const tempDir = useTempDirs();

const plan = worldPlan;

async function run(world: World, mode: RunMode, p = plan(), stateDir?: string) {
  return runWorld(world, mode, p, stateDir ?? (await tempDir("mudanza-vs-")));
}

describe("vserver-to-openvz on scripted hosts", () => {
  it("dry-run probes every step and changes nothing on either host", async () => {
    const world = await webWorld();
    const { outcome, events } = await run(world, "dry-run");
    expect(outcome.status).toBe("dry-run");
    expect(Object.keys(outcome.probes)).toEqual([
      "inventory",
      "sync-live",
      "stop-and-final-sync",
      "write-ctid-conf",
      "fixup-guest",
      "start-container",
      "disable-guest",
    ]);
    expect(world.source.mutations).toEqual([]);
    expect(world.target.mutations).toEqual([]);
    expect(world.state.guestRunning).toBe(true);
    expect(events.filter((e) => e.type === "prompt")).toEqual([]);
  });

  it("a --yes run writes CTID.conf, fixes the guest, starts the container and leaves the guest stopped and unmarked", async () => {
    const world = await webWorld();
    const { outcome, events, compensations, facts } = await run(world, "yes");
    expect(outcome.message).toBeUndefined();
    expect(outcome.status).toBe("done");

    const conf = world.target.files.get("/etc/vz/conf/1001.conf")!;
    expect(conf.mode).toBe(0o644);
    expect(vzConfValues(conf.content)).toMatchObject({
      VE_ROOT: "/vz/root/$VEID",
      VE_PRIVATE: "/vz/private/$VEID",
      OSTEMPLATE: "debian-6.0-x86_64",
      ORIGIN_SAMPLE: "vps.basic",
      HOSTNAME: "web1",
      IP_ADDRESS: "198.18.10.21",
      NAMESERVER: "198.18.0.53",
      SEARCHDOMAIN: "example.net",
      ONBOOT: "yes",
      NUMPROC: "65:65", // from the node's sample: the guest had no nproc limit
    });
    expect(conf.content.startsWith("#  Copyright (C) 2000-2007 SWsoft.")).toBe(true);
    // ONBOOT stays "no" until the checks passed, then vzctl sets it
    const vz = world.target.log
      .filter((e) => e.kind === "exec" && /^vzctl (start|set)/.test(e.command))
      .map((e) => (e.kind === "exec" ? e.command : ""));
    expect(vz).toEqual(["vzctl start 1001", "vzctl set 1001 --onboot yes --save"]);

    expect(world.state.guestRunning).toBe(false);
    expect(world.state.containerRunning).toBe(true);
    expect(world.source.files.has("/etc/vservers/web1/apps/init/mark")).toBe(false);
    expect(world.source.files.get("/etc/vservers/web1/apps/init/mark.mudanza-disabled")?.content).toBe("default\n");
    expect(compensations).toEqual([]); // cleared at the cutover
    expect(facts.downtimeSec).toEqual(expect.any(Number));
    expect(facts.freezeWindowSec).toBe(facts.downtimeSec); // the report's freeze window
    expect(events.some((e) => e.type === "output" && /^cutover: web1 was down for [\d.]+ s/.test(e.line))).toBe(true);
    // reached from the node: ping, and the ports the guest listened on (not the one bound to 127.0.0.1)
    const reached = world.target.log
      .filter((e) => e.kind === "exec" && /^(ping|timeout)/.test(e.command))
      .map((e) => (e.kind === "exec" ? e.command : ""));
    expect(new Set(reached)).toEqual(
      new Set([
        "ping -c 1 -W 2 198.18.10.21",
        "timeout 3 bash -c 'exec 3<>/dev/tcp/198.18.10.21/80'",
        "timeout 3 bash -c 'exec 3<>/dev/tcp/198.18.10.21/22'",
      ]),
    );

    // the copy and its fix-ups, with backups
    expect(world.target.files.get("/vz/private/1001/etc/hostname")?.content).toBe("web1\n");
    expect(world.target.files.get("/vz/private/1001/etc/mtab")).toMatchObject({
      type: "symlink",
      linkTarget: "/proc/mounts",
    });
    expect(world.target.files.get("/vz/private/1001/root/mudanza-backup/etc/mtab")?.content).toBe(
      "/dev/hdv1 / ufs defaults 0 0\n",
    );
    expect(world.target.files.has("/vz/private/1001/etc/rc2.d/S02ntp")).toBe(false);
    expect(world.target.files.get("/vz/private/1001/etc/inittab")?.content).toContain(
      "#1:2345:respawn:/sbin/getty 38400 tty1",
    );
    expect(world.state.devices).toEqual(new Set(["console"]));
    const fixups = facts.fixups as { applied: Array<{ id: string; why: string }> };
    expect(fixups.applied.map((f) => f.id)).toEqual([
      "inittab-gettys",
      "mtab",
      "device-nodes",
      "pointless-services",
      "venet-network",
    ]);
    expect(fixups.applied.every((f) => f.why.length > 20)).toBe(true);
    const fixupEnd = events.find((e) => e.type === "step-end" && e.stepId === "fixup-guest");
    const checks = fixupEnd?.type === "step-end" ? (fixupEnd.checks ?? []) : [];
    expect(checks.filter((c) => c.name.startsWith("mtab: "))).toEqual([
      { name: "mtab: Point /etc/mtab at /proc/mounts", ok: true, detail: expect.stringMatching(/fake mtab/) },
    ]);
    expect(events.some((e) => e.type === "output" && /^device-nodes: dev\/console: c 5 1 \(why: /.test(e.line))).toBe(
      true,
    );

    // live passes then the stopped pass, with progress; the two gates were accepted by --yes
    expect(world.state.rsyncPasses).toBe(3);
    expect(events.some((e) => e.type === "progress" && e.stepId === "sync-live")).toBe(true);
    expect(
      events.filter((e) => e.type === "prompt-answer").map((e) => e.type === "prompt-answer" && [e.stepId, e.by]),
    ).toEqual([
      ["stop-and-final-sync", "yes-flag"],
      ["start-container", "yes-flag"],
    ]);
    const order = world.source.log
      .filter((e) => e.kind === "exec" && (/^vserver web1 (stop|start)/.test(e.command) || RSYNC_PASS.test(e.command)))
      .map((e) => (e.kind === "exec" ? innerRsync(e.command).split(" ").slice(0, 3).join(" ") : ""));
    expect(order.slice(-2)).toEqual(["vserver web1 stop", "rsync -aHAXS --numeric-ids"]);
  });

  it("migrates a guest that is already stopped: no live pass, no stop, nothing to start again", async () => {
    const world = await webWorld();
    world.state.guestRunning = false;
    const { outcome, events } = await run(world, "yes");
    expect(outcome.status).toBe("done");
    expect(world.state.rsyncPasses).toBe(1);
    expect(world.source.log.some((e) => e.kind === "exec" && e.command === "vserver web1 stop")).toBe(false);
    expect(
      events
        .filter((e) => e.type === "step-end" && e.stepId === "sync-live")
        .map((e) => e.type === "step-end" && e.status),
    ).toEqual(["done"]);
    expect(world.state.containerRunning).toBe(true);
    expect(world.state.guestRunning).toBe(false);
  });

  it("the start gate promises to start the guest again only when this run stopped it (new-user trial 10, finding 8)", async () => {
    const startGate = (events: PipelineEvent[]) =>
      events.flatMap((e) => (e.type === "prompt" && e.stepId === "start-container" ? e.details : []));
    const running = await webWorld();
    expect(startGate((await run(running, "yes")).events)).toContainEqual(
      "the container takes over 198.18.10.21; if a check fails it is stopped and web1 is started again on the VServer host",
    );

    const world = await webWorld();
    world.state.guestRunning = false;
    world.target.on("vzctl exec 1001 hostname", { stdout: "localhost\n" }); // the hostname check fails
    const { outcome, events } = await run(world, "yes", plan(", startCheckTimeoutSec: 0"));
    expect(outcome.status).toBe("failed");
    const promise =
      "the container takes over 198.18.10.21; if a check fails it is stopped, and web1 stays stopped: it was stopped before this run, which does not start it";
    expect(startGate(events)).toContainEqual(promise);
    expect(events.filter((e) => e.type === "compensation").map((e) => e.type === "compensation" && e.id)).toEqual([
      "vserver-stop-container",
    ]);
    expect(world.state.guestRunning).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "output",
        stepId: "start-container",
        line: "web1 was stopped before this run: it is not started again (`vserver web1 start`, once you know why the container failed)",
      }),
    );
  });

  it("keeps the boot mark with keepGuestOnBoot (the guest still ends stopped)", async () => {
    const world = await webWorld();
    const { outcome } = await run(world, "yes", plan(", keepGuestOnBoot: true"));
    expect(outcome.status).toBe("done");
    expect(outcome.findings.map((f) => f.title)).toContain("The old guest still starts at boot");
    expect(world.source.files.get("/etc/vservers/web1/apps/init/mark")?.content).toBe("default\n");
    expect(world.state.guestRunning).toBe(false);
  });

  it("when a service is missing in the container, stops it and starts the VServer guest again", async () => {
    const world = await webWorld();
    world.containerProcesses = ["init", "rsyslogd", "cron", "sshd"]; // apache2 did not come up
    const { outcome, events, compensations } = await run(world, "yes", plan(", startCheckTimeoutSec: 0"));
    expect(outcome.status).toBe("failed");
    expect(exitCodeForRun(outcome)).toBe(1);
    expect(outcome.message).toMatch(/service apache2 runs/);
    expect(vzConfValues(world.target.files.get("/etc/vz/conf/1001.conf")!.content).ONBOOT).toBe("no"); // never marked to start with the node
    expect(
      events.filter((e) => e.type === "compensation").map((e) => e.type === "compensation" && [e.id, e.ok]),
    ).toEqual([
      ["vserver-stop-container", true],
      ["vserver-restart-guest", true],
    ]);
    expect(world.state.containerRunning).toBe(false);
    expect(world.state.guestRunning).toBe(true);
    expect(compensations).toEqual([]);
    expect(world.source.files.has("/etc/vservers/web1/apps/init/mark")).toBe(true);
  });

  it("when a port the guest listened on does not answer from the node, stops the container and starts the guest again", async () => {
    const world = await webWorld();
    world.containerPorts = [22]; // apache2 runs but does not listen (say its config named the old eth0 address)
    const { outcome, facts } = await run(world, "yes", plan(", startCheckTimeoutSec: 0"));
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toMatch(
      /TCP 198\.18\.10\.21:80 accepts connections from the node \(the guest listened on this port before the migration\)/,
    );
    expect(outcome.message).not.toMatch(/:22 /);
    expect(world.state.containerRunning).toBe(false);
    expect(world.state.guestRunning).toBe(true);
    expect(facts.freezeWindowSec).toBeUndefined();
  });

  it("waits for services that come up a little after vzctl start", async () => {
    const world = await webWorld();
    let polls = 0;
    world.target.on("vzctl exec 1001 'ps -eo comm='", () => ({
      stdout: ++polls < 2 ? "init\nsshd\n" : "init\nrsyslogd\ncron\nsshd\napache2\n",
    }));
    const { outcome } = await run(world, "yes", plan(", startCheckTimeoutSec: 10"));
    expect(outcome.status).toBe("done");
    expect(polls).toBeGreaterThanOrEqual(2);
  });

  it("a guest its undo started and an admin stopped again by hand is copied again: the final pass is not trusted (review)", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    world.containerProcesses = ["init", "sshd"];
    expect((await run(world, "yes", plan(", startCheckTimeoutSec: 0"), stateDir)).outcome.status).toBe("failed");
    expect(world.state.guestRunning).toBe(true); // the undo started it
    // it ran (and wrote) meanwhile; then someone stopped it by hand: stopped, as the final pass's verify wants
    world.state.guestRunning = false;
    const passesBefore = world.state.rsyncPasses;
    world.containerProcesses = ["init", "rsyslogd", "cron", "sshd", "apache2"];
    const { outcome, events } = await run(world, "yes", plan(", startCheckTimeoutSec: 0"), stateDir);
    expect(outcome.status).toBe("done");
    expect(events.find((e) => e.type === "step-end" && e.stepId === "stop-and-final-sync")).toMatchObject({
      status: "done",
    });
    expect(world.state.rsyncPasses).toBe(passesBefore + 1);
  });

  it("a rerun after that failure redoes the stopped pass and everything after it, then finishes", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    world.containerProcesses = ["init", "sshd"];
    expect((await run(world, "yes", plan(", startCheckTimeoutSec: 0"), stateDir)).outcome.status).toBe("failed");
    const passesBefore = world.state.rsyncPasses;
    world.containerProcesses = ["init", "rsyslogd", "cron", "sshd", "apache2"];
    const { outcome, events } = await run(world, "yes", plan(", startCheckTimeoutSec: 0"), stateDir);
    expect(outcome.status).toBe("done");
    // the guest ran again after the compensation, so the stopped pass is not trusted: it runs again
    const ends = events
      .filter((e) => e.type === "step-end")
      .map((e) => e.type === "step-end" && `${e.stepId}:${e.status}`);
    expect(ends).toEqual([
      "inventory:skipped",
      "sync-live:skipped",
      "stop-and-final-sync:done",
      "write-ctid-conf:done",
      "fixup-guest:done",
      "start-container:done",
      "disable-guest:done",
    ]);
    expect(world.state.rsyncPasses).toBe(passesBefore + 1);
    expect(world.state.guestRunning).toBe(false);
    expect(world.state.containerRunning).toBe(true);
    expect(world.source.files.has("/etc/vservers/web1/apps/init/mark")).toBe(false);
    // the fix-ups were redone on the fresh copy, and their first backups survived the rerun of the copy
    expect(world.target.files.get("/vz/private/1001/etc/mtab")).toMatchObject({
      type: "symlink",
      linkTarget: "/proc/mounts",
    });
    expect(world.target.files.get("/vz/private/1001/root/mudanza-backup/etc/mtab")?.content).toBe(
      "/dev/hdv1 / ufs defaults 0 0\n",
    );
  });

  it("a rerun after the cutover never copies the old guest over the container, even if the guest was started again", async () => {
    const world = await webWorld();
    const stateDir = await tempDir("mudanza-vs-");
    expect((await run(world, "yes", plan(", keepGuestOnBoot: true"), stateDir)).outcome.status).toBe("done");
    const passes = world.state.rsyncPasses;
    world.state.guestRunning = true; // the VServer host rebooted and its initscript started web1 again
    const { outcome, events } = await run(world, "yes", plan(", keepGuestOnBoot: true"), stateDir);
    expect(world.state.rsyncPasses).toBe(passes);
    expect(
      events
        .filter((e) => e.type === "step-end" && e.stepId === "stop-and-final-sync")
        .map((e) => e.type === "step-end" && e.status),
    ).toEqual(["skipped"]);
    expect(outcome.status).toBe("done");
  });

  it("refuses to rsync into the private area of a container that runs", async () => {
    const world = await webWorld();
    world.state.containerRunning = true;
    const { outcome } = await run(world, "yes");
    expect(outcome.status).toBe("failed");
    expect(outcome.message).toMatch(
      /container 1001 is running on the node: copying \/vservers\/web1 over it would lose/,
    );
    expect(world.state.rsyncPasses).toBe(0);
  });

  it("blocks before anything runs when the guest's address belongs to another container", async () => {
    const world = await webWorld();
    world.target.on("grep -sH '^IP_ADDRESS=' /etc/vz/conf/*.conf; true", {
      stdout: '/etc/vz/conf/102.conf:IP_ADDRESS="198.18.10.30 198.18.10.21"\n',
    });
    const { outcome } = await run(world, "yes");
    expect(exitCodeForRun(outcome)).toBe(3);
    expect(outcome.message).toMatch(
      /IP 198\.18\.10\.21 is in use: another container has it: \/etc\/vz\/conf\/102\.conf/,
    );
    expect(world.source.mutations).toEqual([]);
    expect(world.target.mutations).toEqual([]);
  });
});
