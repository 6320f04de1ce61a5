import { describe, expect, it } from "vitest";
import { guardRenderer } from "../../src/render/guarded.js";
import type { Renderer } from "../../src/render/renderer.js";
import { start } from "../tui/events.js";

describe("a guarded renderer cannot hold up the run's cleanup", () => {
  it("returns from close after the bound when the renderer never finishes closing, and says so", async () => {
    const complaints: string[] = [];
    const hanging: Renderer = { sink: () => undefined, close: () => new Promise<void>(() => undefined) };
    const guarded = guardRenderer(hanging, (l) => complaints.push(l), 50);
    const closed = await Promise.race([
      guarded.close().then(() => "closed"),
      new Promise((r) => setTimeout(() => r("still waiting"), 10_000)),
    ]);
    expect(closed).toBe("closed");
    expect(complaints.join("\n")).toMatch(/did not close within/);
  });

  it("turns a throwing close into a line on stderr, not an exception", async () => {
    const complaints: string[] = [];
    const throwing: Renderer = { sink: () => undefined, close: () => Promise.reject(new Error("terminal gone")) };
    await expect(guardRenderer(throwing, (l) => complaints.push(l)).close()).resolves.toBeUndefined();
    expect(complaints).toEqual([expect.stringContaining("terminal gone")]);
  });

  it("switches a throwing sink off after the first failure instead of failing the run", () => {
    const complaints: string[] = [];
    let calls = 0;
    const throwing: Renderer = {
      sink: () => {
        calls++;
        throw new Error("cannot draw");
      },
      close: async () => undefined,
    };
    const guarded = guardRenderer(throwing, (l) => complaints.push(l));
    expect(() => guarded.sink(start())).not.toThrow();
    guarded.sink(start());
    expect(calls).toBe(1);
    expect(complaints).toEqual([expect.stringContaining("cannot draw")]);
  });
});
