import { afterEach, describe, expect, it } from "vitest";
import { restartCheckTiming, restartNotes } from "../../src/engine/host-restarts.js";
import { ScriptedHost } from "../../src/hosts/scripted-host.js";

const saved = { ...restartCheckTiming };
afterEach(() => void Object.assign(restartCheckTiming, saved));

describe("which hosts booted under a failed step", () => {
  it("names a host that booted after the step began, not one up for longer, and one that no longer answers", async () => {
    restartCheckTiming.delayMs = 1;
    restartCheckTiming.attempts = 2;
    const startedMs = Date.now() - 60_000;
    const rebooted = new ScriptedHost("target").putFile("/proc/uptime", "12.40 3.10\n");
    rebooted.connectionLost = true; // the boot ended the session: asked again after a reconnect
    const steady = new ScriptedHost("source").putFile("/proc/uptime", "86400.00 1.00\n");
    const gone = new ScriptedHost("node");
    gone.connectionLost = true;
    gone.reconnectFailures = 5;
    const silent = new ScriptedHost("other"); // no /proc/uptime: cannot say, says nothing
    expect(
      await restartNotes({ target: rebooted, source: steady, node: gone, other: silent }, "rsync", startedMs),
    ).toEqual(["target rebooted during rsync (up 12 s)", "node stopped answering during rsync (rebooting, or down)"]);
    expect(gone.reconnectFailures).toBe(5 - restartCheckTiming.attempts);
  });
});
