import { describe, expect, it } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";
import { emptyModel, failedStep, reduce } from "../../src/tui/model.js";
import { end, output, probe, runningCopy, start, stepEnd, stepStart, T0 } from "./events.js";

const fold = (events: ReturnType<typeof runningCopy>) => events.reduce((m, e) => reduce(m, e, T0), emptyModel(T0));

describe("TUI model", () => {
  it("test events are valid runner events", () => {
    for (const e of [...runningCopy(), end(20, "failed")]) expect(pipelineEventSchema.safeParse(e).success).toBe(true);
  });

  it("marks preflight probes as checking without starting the steps", () => {
    const m = fold([
      start(),
      ...probe("check-source", 1),
      { type: "step-start", at: start().at, stepId: "stop-services", phase: "probe" },
    ]);
    expect(m.preflight).toBe(true);
    expect(m.steps.map((s) => s.status)).toEqual(["pending", "pending", "pending", "pending", "pending"]);
    expect(m.steps[1]?.checking).toBe(true);
    expect(m.steps[0]?.checking).toBe(false);
  });

  it("leaves preflight on the second probe of a step and tracks running, done and durations", () => {
    const m = fold(runningCopy());
    expect(m.preflight).toBe(false);
    expect(m.steps.map((s) => s.status)).toEqual(["done", "done", "running", "pending", "pending"]);
    expect(m.steps[1]?.durationMs).toBe(2100);
    expect(m.currentId).toBe("copy-files");
    expect(m.steps[2]?.output.map((o) => o.line)).toEqual(["sending incremental file list", "var/lib/mysql/ibdata1"]);
    expect(m.steps[2]?.progress?.bytesDone).toBe(1288490189);
    expect(m.steps[2]?.startedAtMs).toBe(T0 + 7000);
  });

  it("keeps only the last output lines but counts them all", () => {
    const events = [...runningCopy()];
    for (let i = 0; i < 50; i++) events.push(output("copy-files", 11, `file ${i}`));
    const m = fold(events);
    expect(m.steps[2]?.output.length).toBe(12);
    expect(m.steps[2]?.output.at(-1)?.line).toBe("file 49");
    expect(m.steps[2]?.outputCount).toBe(52);
  });

  it("finds the failed step and keeps the end facts", () => {
    const m = fold([
      ...runningCopy(),
      stepEnd("copy-files", 12, "failed", 4000, "rsync exited 23"),
      end(13, "failed", { resumeCommand: "mudanza run web1.yaml" }),
    ]);
    expect(failedStep(m)?.id).toBe("copy-files");
    expect(m.end?.resumeCommand).toBe("mudanza run web1.yaml");
    expect(m.end?.atMs).toBe(T0 + 13000);
  });

  it("keeps what the end says of a failure that resuming would repeat, for the end's lines", () => {
    const m = fold([
      ...runningCopy(),
      end(13, "failed", { resumeRepeatsFailure: true, restartCommand: "mudanza run web1.yaml --restart" }),
    ]);
    expect(m.end).toMatchObject({ resumeRepeatsFailure: true, restartCommand: "mudanza run web1.yaml --restart" });
    expect(m.end?.resumeCommand).toBeUndefined();
  });

  it("ignores events about unknown steps", () => {
    const m = fold([start(), stepStart("nope", 1)]);
    expect(m.steps.every((s) => s.status === "pending")).toBe(true);
  });
});
