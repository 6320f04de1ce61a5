import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { drivePipeline } from "../../src/cli/drive-pipeline.js";
import type { Pipeline } from "../../src/engine/step.js";
import { BlockedError } from "../../src/errors.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { sh } from "../../src/hosts/quote.js";
import { Journal } from "../../src/journal/journal.js";
import { buildOpenvzToKvm } from "../../src/pipelines/openvz-to-kvm/pipeline.js";
import { loadPair, PAIRS } from "../pipelines/openvz-to-kvm/harness.js";

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "mudanza-comp-unreach-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(stateDir, { recursive: true, force: true });
});

const nothing: Pipeline<object> = { kind: "demo", title: "nothing", steps: [] };
const journalOptions = { migrationId: "m1", kind: "demo", planPath: "p.yaml", planHash: "h" };

describe("a re-run whose target cannot be reached", () => {
  it("still runs the source's pending compensation (the database a killed run stopped), and keeps the target's pending", async () => {
    const started = join(stateDir, "database-started");
    const seeded = await Journal.open({ ...journalOptions, stateDir });
    await seeded.addCompensation({
      id: "start-databases-source",
      title: "start the source's databases again",
      host: "source",
      command: sh`touch ${started}`,
      registeredBy: "db-freeze",
    });
    await seeded.addCompensation({
      id: "target-thing",
      title: "undo something on the target",
      host: "target",
      command: "true",
      registeredBy: "rsync",
    });
    await seeded.close();

    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const unreachable = new BlockedError("target: cannot connect to 127.0.0.1:1 (ECONNREFUSED)");
    await expect(
      drivePipeline({
        pipeline: nothing,
        plan: {},
        mode: "yes",
        flags: { yes: true },
        stateDir,
        journal: journalOptions,
        connect: async (hosts) => {
          hosts.source = new LocalHost("source");
          throw unreachable;
        },
        resumeCommand: "mudanza run p.yaml --yes",
      }),
    ).rejects.toBe(unreachable);

    expect(await stat(started).catch(() => null), "the source's compensation did not run").not.toBeNull();
    const journal = await Journal.read(join(stateDir, "m1.journal.json"));
    expect(journal?.compensations.map((c) => c.id)).toEqual(["target-thing"]);
    const said = stderr.mock.calls.map((c) => String(c[0])).join("");
    expect(said).toContain("undone: start the source's databases again\n");
  });

  it("says why the target may be cut off when the copy began and the network fix-up did not run yet", async () => {
    const { plan } = await loadPair(PAIRS.debian.plan);
    const pipeline = buildOpenvzToKvm(plan) as unknown as Pipeline<object>;
    const seeded = await Journal.open({ ...journalOptions, stateDir });
    await seeded.updateStep("rsync", { status: "running" });
    await seeded.close();
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const attempt = () =>
      drivePipeline({
        pipeline,
        plan: {},
        mode: "yes",
        flags: { yes: true },
        stateDir,
        journal: journalOptions,
        connect: async (hosts) => {
          hosts.source = new LocalHost("source");
          throw new BlockedError("target: cannot connect (ECONNREFUSED)");
        },
        resumeCommand: "mudanza run p.yaml --yes",
      });
    await expect(attempt()).rejects.toThrow(/ECONNREFUSED/);
    const said = () => stderr.mock.calls.map((c) => String(c[0])).join("");
    expect(said()).toMatch(/a target that rebooted since came up with the source's and has no network/);

    // once network-fixup is done the VM's own configuration is back: no such hint
    const fixed = await Journal.open({ ...journalOptions, stateDir });
    await fixed.updateStep("network-fixup", { status: "done" });
    await fixed.close();
    stderr.mockClear();
    await expect(attempt()).rejects.toThrow(/ECONNREFUSED/);
    expect(said()).not.toMatch(/has no network/);
  });
});
