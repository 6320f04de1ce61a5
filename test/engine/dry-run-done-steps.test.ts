import { describe, expect, it } from "vitest";
import { DONE_EARLIER } from "../../src/engine/done-earlier.js";
import { blocker } from "../../src/engine/finding.js";
import { runPipeline } from "../../src/engine/runner.js";
import { defineStep, type Step } from "../../src/engine/step.js";
import { Journal } from "../../src/journal/journal.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();

/** A copy step an earlier run did: its probe would copy again (and blocks), its verify reads `copied`. */
function copyStep(world: { copied: boolean; probeThrows?: boolean; slowVerify?: string }): Step<unknown, string> {
  return defineStep<unknown, string>({
    id: "copy",
    title: "copy",
    destructive: true,
    slowVerify: world.slowVerify,
    async probe() {
      if (world.probeThrows) throw new Error("connection reset");
      return {
        satisfied: false,
        plan: "copy",
        findings: [blocker("Copy refused", "a copy would overwrite newer data", "start over")],
        details: ["copies the tree"],
      };
    },
    commands: () => [{ host: "source", command: "rsync -a / target:/", purpose: "copy" }],
    run: async () => undefined,
    verify: async () => ({
      ok: world.copied,
      checks: [{ name: "copy in place", ok: world.copied, detail: "/srv/data" }],
    }),
  });
}

/** A dry run over a journal where `copy` is done, with an earlier run's undo pending or not. */
async function dryRunAfterCopy(
  world: { copied: boolean; probeThrows?: boolean; slowVerify?: string },
  undoPending = false,
) {
  const stateDir = await tempDir("mudanza-dry-done-");
  const open = (readOnly: boolean) =>
    Journal.open({ stateDir, migrationId: "d", kind: "demo", planPath: "d.yaml", planHash: "h", readOnly });
  const written = await open(false);
  await written.updateStep("copy", { status: "done", attempts: 1 });
  if (undoPending)
    await written.addCompensation({
      id: "start-app",
      title: "start the app",
      host: "source",
      command: "systemctl start -- app.service",
      registeredBy: "copy",
    });
  await written.close();
  const journal = await open(true);
  try {
    const pipeline = { kind: "demo", title: "demo", steps: [copyStep(world)] };
    return await runPipeline({ pipeline, plan: {}, hosts: {}, journal, mode: "dry-run", sink: () => {} });
  } finally {
    await journal.close();
  }
}

describe("a dry run's done steps (review: a resumed dry run said a done copy would run)", () => {
  it("verified again: shown done as the run skips it, without its commands or its probe's findings", async () => {
    const outcome = await dryRunAfterCopy({ copied: true });
    expect(outcome.status).toBe("dry-run");
    expect(outcome.probes.copy).toEqual({
      satisfied: true,
      reason: DONE_EARLIER,
      commands: [],
      findings: [],
      details: ["checked again: copy in place (/srv/data)"],
    });
  });

  it("so even when its probe cannot answer, as the run never probes it", async () => {
    const outcome = await dryRunAfterCopy({ copied: true, probeThrows: true });
    expect(outcome.status).toBe("dry-run");
    expect(outcome.probes.copy).toMatchObject({ satisfied: true, reason: DONE_EARLIER });
  });

  it("its verify failing: the probe's answer stands, as the run redoes the step", async () => {
    const outcome = await dryRunAfterCopy({ copied: false });
    expect(outcome.status).toBe("blocked");
    expect(outcome.probes.copy).toMatchObject({ satisfied: false, details: ["copies the tree"] });
  });

  it("an earlier run's undo pending: the probe's answer stands, as the run undoes first and may then redo it", async () => {
    const outcome = await dryRunAfterCopy({ copied: true }, true);
    expect(outcome.status).toBe("blocked");
    expect(outcome.probes.copy?.satisfied).toBe(false);
  });

  it("a verify too slow for a dry run (slowVerify) is not run: the probe's answer stands", async () => {
    const outcome = await dryRunAfterCopy({ copied: true, slowVerify: "boots a libguestfs appliance" });
    expect(outcome.status).toBe("blocked");
    expect(outcome.probes.copy).toMatchObject({ satisfied: false, details: ["copies the tree"] });
  });
});
