import { describe, expect, it } from "vitest";
import { TuiStore } from "../../src/tui/store.js";
import { progress, runningCopy, stepEnd } from "./events.js";

describe("TUI store", () => {
  it("a flood of progress events updates the model but publishes at most once per frame", async () => {
    const store = new TuiStore(100);
    let publishes = 0;
    store.subscribe(() => publishes++);
    for (const e of runningCopy()) store.apply(e);
    const before = publishes;
    for (let i = 0; i < 100_000; i++) store.apply(progress("copy-files", 10, i * 1000, 100_000_000));
    // Nothing is published synchronously for progress; the model still has the latest figure.
    expect(publishes).toBe(before);
    await new Promise((r) => setTimeout(r, 150));
    expect(publishes).toBe(before + 1);
    expect(store.getSnapshot().model.steps[2]?.progress?.bytesDone).toBe(99_999_000);
    store.dispose();
  });

  it("publishes step ends at once", () => {
    const store = new TuiStore(10_000);
    for (const e of runningCopy()) store.apply(e);
    const v = store.getSnapshot().version;
    store.apply(stepEnd("copy-files", 20, "done", 1000));
    expect(store.getSnapshot().version).toBe(v + 1);
    expect(store.getSnapshot().model.steps[2]?.status).toBe("done");
    store.dispose();
  });
});
