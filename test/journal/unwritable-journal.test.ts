import { open, readdir, readFile, type FileHandle } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import { BadInputError, StateDirWriteError } from "../../src/errors.js";
import { Journal } from "../../src/journal/journal.js";
import { useFailingWrites } from "../support/failing-writes.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const failWrites = useFailingWrites();
const options = { migrationId: "m1", kind: "demo", planPath: "p.yaml", planHash: "h" };
/** Every fsync of a directory fails with EIO (a disk going bad); files still sync. Restored after each test. */
function failDirectorySync(): void {
  const proto = FILE_HANDLE_PROTO;
  const sync = proto.sync;
  vi.spyOn(proto, "sync").mockImplementation(async function (this: FileHandle) {
    if ((await this.stat()).isDirectory())
      throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO", syscall: "fsync" });
    return sync.call(this);
  });
}
const FILE_HANDLE_PROTO = await (async () => {
  const probe = await open(new URL(import.meta.url), "r");
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  return proto;
})();
const startApp = { id: "start-app", title: "start app", host: "source", command: "true", registeredBy: "stop" };

// Found by a new-user trial: a state dir that filled up during a run gave exit 70 ("this is a bug") and left
// .NAME.journal.json.PID.tmp files; one full at start-up left an empty NAME.journal.json.lock.
describe("a journal in a state dir that fills up", () => {
  it("a change it cannot save names the state dir and the cause, leaves the file as last saved and no temp file", async () => {
    const stateDir = await tempDir("mudanza-full-");
    const journal = await Journal.open({ ...options, stateDir });
    await journal.addCompensation(startApp);
    const saved = await readFile(journal.path, "utf8");
    await failWrites((text) => text.includes('"migrationId"'));
    const failure = await journal.updateStep("copy", { status: "running" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StateDirWriteError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^cannot write in the state dir ${stateDir}: ENOSPC; .*run again to resume$`),
    );
    expect(await readFile(journal.path, "utf8")).toBe(saved);
    expect((await readdir(stateDir)).sort()).toEqual(["m1.journal.json", "m1.journal.json.lock"]);
    await journal.close();
  });

  it("what it could not record did not happen: a registered compensation is not pending, a cleared one still is", async () => {
    const stateDir = await tempDir("mudanza-full-");
    const journal = await Journal.open({ ...options, stateDir });
    await journal.addCompensation(startApp);
    await failWrites((text) => text.includes('"migrationId"'));
    // A compensation is registered before its change: one not recorded guards a change that never happens.
    await expect(journal.addCompensation({ ...startApp, id: "revoke-key" })).rejects.toThrow(StateDirWriteError);
    // A cleared one that stays in the journal runs again on the next run: this run must run it too.
    await expect(journal.removeCompensation("start-app")).rejects.toThrow(StateDirWriteError);
    expect(journal.snapshot.compensations.map((c) => c.id)).toEqual(["start-app"]);
    await expect(journal.updateStep("copy", { status: "running" })).rejects.toThrow(StateDirWriteError);
    expect(journal.step("copy").status).toBe("pending");
    await journal.close();
    expect((await Journal.read(journal.path))?.compensations.map((c) => c.id)).toEqual(["start-app"]);
  });

  it("compensations cleared together stay pending together when that one write fails (a cutover)", async () => {
    const stateDir = await tempDir("mudanza-full-");
    const journal = await Journal.open({ ...options, stateDir });
    await journal.addCompensation(startApp);
    await journal.addCompensation({ ...startApp, id: "stop-new", title: "stop the new one" });
    await failWrites((text) => text.includes('"migrationId"'));
    await expect(journal.removeCompensations(["stop-new", "start-app"])).rejects.toThrow(StateDirWriteError);
    expect(journal.snapshot.compensations.map((c) => c.id)).toEqual(["start-app", "stop-new"]);
    await journal.close();
    expect((await Journal.read(journal.path))?.compensations.map((c) => c.id)).toEqual(["start-app", "stop-new"]);
  });

  it("any failed write is a state dir write failure (EIO as much as ENOSPC), not a bug", async () => {
    const stateDir = await tempDir("mudanza-eio-");
    const journal = await Journal.open({ ...options, stateDir });
    await failWrites((text) => text.includes('"migrationId"'), "EIO");
    const failure = await journal.setFact("k", 1).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StateDirWriteError);
    expect((failure as Error).message).toContain(`cannot write in the state dir ${stateDir}: EIO`);
    expect(journal.snapshot.facts).toEqual({});
    await journal.close();
  });

  it("a folder sync that fails after the new journal is in place keeps memory as the file is", async () => {
    const stateDir = await tempDir("mudanza-dirsync-");
    const journal = await Journal.open({ ...options, stateDir });
    await journal.addCompensation(startApp);
    failDirectorySync();
    const failure = await journal.removeCompensations(["start-app"]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StateDirWriteError);
    expect((failure as Error).message).toContain("EIO; the journal holds the last change");
    // The file has the clear; a run that believed otherwise would run "start app" on a later failure.
    expect((await Journal.read(journal.path))?.compensations).toEqual([]);
    expect(journal.snapshot.compensations).toEqual([]);
    await journal.close();
  });

  it("refuses a change made while another is still being saved (a step must await each one)", async () => {
    const stateDir = await tempDir("mudanza-overlap-");
    const journal = await Journal.open({ ...options, stateDir });
    const first = journal.setFact("a", 1);
    await expect(journal.setFact("b", 2)).rejects.toThrow("journal changes overlap");
    await first;
    // The refused change is in neither memory nor the file (a later save must not write it).
    expect(journal.snapshot.facts).toEqual({ a: 1 });
    await journal.setFact("c", 3);
    expect((await Journal.read(journal.path))?.facts).toEqual({ a: 1, c: 3 });
    await journal.close();
  });

  it("refused at open (its lock cannot be written): bad input naming the state dir, and no lock file left", async () => {
    const stateDir = await tempDir("mudanza-full-");
    await failWrites((text) => text.includes('"pid"'));
    const failure = await Journal.open({ ...options, stateDir }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadInputError);
    expect((failure as Error).message).toContain(`cannot write in the state dir ${stateDir}: ENOSPC`);
    expect(await readdir(stateDir)).toEqual([]);
  });
});
