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
    expect(said).toContain("undone: start the source's databases again on source");
  });
});
