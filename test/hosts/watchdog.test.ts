import { describe, expect, it } from "vitest";
import { SilenceWatchdog } from "../../src/hosts/watchdog.js";

describe("the silence watchdog", () => {
  it("fires only after the whole window, never a millisecond early (a cold CI run saw 1999 ms of 2000)", async () => {
    const windowMs = 5;
    const heard = await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<number>((resolve) => {
            const dog = new SilenceWatchdog(windowMs, resolve);
            dog.heard(); // a chunk of output: the window starts again from here
          }),
      ),
    );
    for (const silentMs of heard) expect(silentMs).toBeGreaterThanOrEqual(windowMs);
  });

  it("starts a new window when the command is still busy, and says how long it was silent in all", async () => {
    let asked = 0;
    const silentMs = await new Promise<number>((resolve) => {
      new SilenceWatchdog(20, resolve, async () => ++asked < 2);
    });
    expect(asked).toBe(2);
    expect(silentMs).toBeGreaterThanOrEqual(40);
  });
});
