import { describe, expect, it } from "vitest";
import type { JournalData } from "../../src/journal/journal.js";
import { standingStep } from "../../src/report/runs-list.js";

const journalWith = (steps: Record<string, { status: string; message?: string }>): JournalData =>
  ({ steps }) as unknown as JournalData;

describe("where a run stands, in the runs table", () => {
  it("names the last step that did something: a skipped one after it did nothing (found by a new-user trial)", () => {
    expect(
      standingStep(
        journalWith({
          "inspect-disk": { status: "done" },
          sparsify: { status: "done" },
          "replace-original": { status: "skipped" },
        }),
      ),
    ).toBe("after sparsify");
    expect(standingStep(journalWith({ a: { status: "skipped" }, b: { status: "pending" } }))).toBe("none yet");
  });

  it("names a step that failed, is blocked or runs, and one declined at the gate", () => {
    expect(standingStep(journalWith({ a: { status: "done" }, b: { status: "failed" } }))).toBe("b (failed)");
    expect(
      standingStep(journalWith({ a: { status: "done" }, b: { status: "pending", message: "declined at the gate" } })),
    ).toBe("b (declined)");
  });
});
