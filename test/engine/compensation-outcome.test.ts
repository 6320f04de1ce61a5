import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/engine/events.js";
import { runCompensations } from "../../src/engine/runner.js";
import { sayUndoKept, sayUndoOutcome } from "../../src/engine/undo-outcome.js";
import { LocalHost } from "../../src/hosts/local-host.js";
import { Journal } from "../../src/journal/journal.js";
import { compensationLine } from "../../src/render/compensation-line.js";
import { tempStateDir } from "../support/run-demo.js";

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function journalWith(...compensations: Array<{ id: string; command: string; notInALaterRun?: string }>) {
  const stateDir = await tempStateDir();
  dirs.push(stateDir);
  const journal = await Journal.open({
    stateDir,
    migrationId: "m1",
    kind: "image-clone",
    planPath: "/p.yaml",
    planHash: "h",
  });
  for (const c of compensations)
    await journal.addCompensation({ ...c, title: `undo ${c.id}`, host: "local", registeredBy: "step" });
  return journal;
}

describe("what an undo says it did (new-user trial 7: a kept clone was reported as removed)", () => {
  it("an undo's outcome lines become the event's outcome and the journal's log; other output is not one", async () => {
    const journal = await journalWith(
      { id: "said", command: `echo noise; ${sayUndoOutcome("kept /srv/lab1.qcow2: written since")}` },
      { id: "silent", command: "echo just output" },
    );
    try {
      const events: PipelineEvent[] = [];
      const outcome = await runCompensations(journal, { local: new LocalHost("local") }, (e) => events.push(e));
      expect(outcome.ok).toBe(true);
      const said = events.flatMap((e) => (e.type === "compensation" ? [compensationLine(e)] : []));
      expect(said).toEqual(["undone: undo silent on local", "undo on local: kept /srv/lab1.qcow2: written since"]);
      // each names the step that registered it: status shows that step undone (trial 8, finding 6)
      expect(journal.snapshot.compensationLog.map((c) => c.registeredBy)).toEqual(["step", "step"]);
      expect(journal.snapshot.compensationLog.map((c) => c.outcome)).toEqual([
        undefined,
        "kept /srv/lab1.qcow2: written since",
      ]);
    } finally {
      await journal.close();
    }
  });

  it("an undo that says it kept the change is logged as kept: its step's change still holds (trial 8, finding 6)", async () => {
    const journal = await journalWith(
      { id: "kept", command: sayUndoKept("/srv/base.qcow2 stays read-only: lab1 stands on it") },
      { id: "mixed", command: `${sayUndoKept("kept lab2")}; ${sayUndoOutcome("removed lab3")}` },
    );
    try {
      const events: PipelineEvent[] = [];
      await runCompensations(journal, { local: new LocalHost("local") }, (e) => events.push(e));
      expect(events.flatMap((e) => (e.type === "compensation" ? [compensationLine(e)] : []))).toEqual([
        "undo on local: kept lab2; removed lab3",
        "undo on local: /srv/base.qcow2 stays read-only: lab1 stands on it",
      ]);
      // one that also undid something is not "kept"
      expect(journal.snapshot.compensationLog.map((c) => [c.id, c.kept])).toEqual([
        ["mixed", undefined],
        ["kept", true],
      ]);
    } finally {
      await journal.close();
    }
  });

  it("an undo marked notInALaterRun runs in its own run, and is only reported by a later one", async () => {
    const scratch = await tempStateDir();
    dirs.push(scratch);
    const marker = join(scratch, "ran");
    const command = `touch ${marker}`;
    const note = "left read-only: the run that made it so was killed";
    const later = await journalWith({ id: "restore", command, notInALaterRun: note });
    try {
      const events: PipelineEvent[] = [];
      await runCompensations(later, { local: new LocalHost("local") }, (e) => events.push(e), { earlierRun: true });
      expect(events.flatMap((e) => (e.type === "compensation" ? [compensationLine(e)] : []))).toEqual([
        `undo not run on local: ${note}`,
      ]);
      expect(later.snapshot.compensations).toEqual([]);
      // the journal's log tells it apart from an undo that ran (trial 8, finding 5: reported as "done")
      expect(later.snapshot.compensationLog).toMatchObject([{ id: "restore", ok: true, outcome: note, notRun: true }]);
      await expect(stat(marker)).rejects.toThrow();
      await later.addCompensation({
        id: "restore",
        title: "t",
        host: "local",
        command,
        notInALaterRun: note,
        registeredBy: "s",
      });
      await runCompensations(later, { local: new LocalHost("local") }, () => undefined);
      // the same undo, run by the run that registered it (a failure in that run): its command runs
      await expect(stat(marker)).resolves.toBeTruthy();
      expect(later.snapshot.compensationLog[1]?.notRun).toBeUndefined();
    } finally {
      await later.close();
    }
  });
});
