import { describe, expect, it } from "vitest";
import type { EventOf, PipelineEvent } from "../../src/engine/events.js";
import { runPipeline, type RunOutcome } from "../../src/engine/runner.js";
import { defineStep, verifyResult, type Pipeline } from "../../src/engine/step.js";
import { ResumeRepeatsFailureError } from "../../src/errors.js";
import { Journal } from "../../src/journal/journal.js";
import { demoHosts } from "../support/demo-hosts.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();

/** One step whose run throws `error`. */
function failingPipeline(error: Error): Pipeline<unknown> {
  const step = defineStep<unknown, null>({
    id: "swap",
    title: "Swap the disk",
    destructive: false,
    probe: async () => ({ satisfied: false, plan: null, findings: [] }),
    commands: () => [],
    run: async () => {
      throw error;
    },
    verify: async () => verifyResult([]),
  });
  return { kind: "demo", title: "Swap", steps: [step] };
}

async function runFailing(
  error: Error,
  restartCommand?: string,
): Promise<{ outcome: RunOutcome; end: EventOf<"pipeline-end"> }> {
  const stateDir = await tempDir("mudanza-repeats-");
  const journal = await Journal.open({ stateDir, migrationId: "demo", kind: "demo", planPath: "p", planHash: "h" });
  const events: PipelineEvent[] = [];
  try {
    const outcome = await runPipeline({
      pipeline: failingPipeline(error),
      plan: {},
      hosts: demoHosts(),
      journal,
      mode: "yes",
      sink: (e) => events.push(e),
      resumeCommand: "mudanza run p --yes",
      restartCommand,
    });
    const end = events.at(-1);
    if (end?.type !== "pipeline-end") throw new Error("the run did not end with pipeline-end");
    return { outcome, end };
  } finally {
    await journal.close();
  }
}

describe("a step failure that resuming would only repeat", () => {
  it("ends with the command that starts over instead of the resume command", async () => {
    const { outcome, end } = await runFailing(
      new ResumeRepeatsFailureError("the disk changed"),
      "mudanza run p --yes --restart",
    );
    expect(outcome).toMatchObject({ status: "failed", resumeRepeatsFailure: true });
    expect(end.resumeCommand).toBeUndefined();
    expect(end).toMatchObject({ resumeRepeatsFailure: true, restartCommand: "mudanza run p --yes --restart" });
  });

  it("of a command without --restart: says resuming repeats it, and offers no command", async () => {
    const { end } = await runFailing(new ResumeRepeatsFailureError("the disk changed"));
    expect(end.resumeRepeatsFailure).toBe(true);
    expect(end.resumeCommand).toBeUndefined();
    expect(end.restartCommand).toBeUndefined();
  });

  it("any other failure still ends with the resume command, and no restart command", async () => {
    const { outcome, end } = await runFailing(new Error("ssh dropped"), "mudanza run p --yes --restart");
    expect(outcome.resumeRepeatsFailure).toBeUndefined();
    expect(end.resumeCommand).toBe("mudanza run p --yes");
    expect(end.resumeRepeatsFailure).toBeUndefined();
    expect(end.restartCommand).toBeUndefined();
  });
});
