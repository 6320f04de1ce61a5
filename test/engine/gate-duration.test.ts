import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { demoHosts } from "../support/demo-hosts.js";
import { runDemo, tempStateDir } from "../support/run-demo.js";

const HOUR = 3_600_000;
let stateDir: string | undefined;
afterEach(async () => {
  vi.useRealTimers();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("step durations", () => {
  it("leave out the time the admin spent reading the gate", async () => {
    // Only Date is faked: the admin "reads" for an hour by moving the clock, nothing actually waits.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2026-11-23T10:00:00.000Z") });
    stateDir = await tempStateDir();
    const asked: string[] = [];
    const { outcome, events, journal } = await runDemo(demoHosts(), stateDir, {
      mode: "interactive",
      confirm: async (prompt) => {
        asked.push(prompt.stepId);
        vi.setSystemTime(Date.now() + HOUR);
        return true;
      },
    });
    expect(outcome.status).toBe("done");
    expect(asked.length).toBeGreaterThan(0);
    for (const id of asked) {
      const end = events.find((e) => e.type === "step-end" && e.stepId === id);
      expect(end && end.type === "step-end" ? end.durationMs : -1).toBeGreaterThanOrEqual(0);
      expect(end && end.type === "step-end" ? end.durationMs : HOUR).toBeLessThan(HOUR);
      expect(journal.snapshot.steps[id]?.durationMs).toBeLessThan(HOUR);
    }
  });
});
