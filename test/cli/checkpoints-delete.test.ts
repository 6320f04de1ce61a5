import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadScriptedHost } from "../../src/hosts/scripted-fixture.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { Journal } from "../../src/journal/journal.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { openPlanJournal } from "../support/plan-journal.js";
import { expectValid, printedSchema } from "../support/printed-schema.js";

const HOSTS = resolve("fixtures/hosts");
const UPDATE = "mz-ck-before-update";
const COPY = "mz-ck-before-copy";

// The libvirt host the plan's checkpoints name, answering as virsh would: its list shrinks with each delete.
const virsh = vi.hoisted(() => ({ host: undefined as ScriptedHost | undefined }));
vi.mock("../../src/hosts/connect.js", async (original) => {
  const actual = await original<typeof import("../../src/hosts/connect.js")>();
  return {
    ...actual,
    connectHost: (endpoint: Parameters<typeof actual.connectHost>[0], role: string) =>
      role === "target-checkpoints" && virsh.host ? Promise.resolve(virsh.host) : actual.connectHost(endpoint, role),
  };
});

// The quick suite shares a worker's module cache between files: the CLI is imported afresh, after the mock.
let runMain: (args: string[]) => Promise<{ code: number; out: string; err: string }>;
beforeAll(async () => {
  vi.resetModules();
  ({ runMain } = await import("../support/main-cli.js"));
});
// ...and left behind for the next file in the worker: the real connectHost, imported afresh.
afterAll(() => {
  virsh.host = undefined;
  vi.doUnmock("../../src/hosts/connect.js");
  vi.resetModules();
});

async function libvirtWith(names: string[]): Promise<ScriptedHost> {
  const host = await loadScriptedHost(`${HOSTS}/libvirt-checkpoints`, "target-checkpoints");
  const header = (await readFile(`${HOSTS}/libvirt-checkpoints/out/snapshot-list-web1-empty.txt`, "utf8")).trimEnd();
  const rows = names.map((n) => ` ${n.padEnd(20)} 2026-12-01 18:47:56 +0000   running`);
  host.on("virsh -c qemu:///system snapshot-list web1", () => ({ stdout: [header, ...rows, ""].join("\n") + "\n" }));
  host.on(
    /^virsh -c qemu:\/\/\/system snapshot-delete web1 (\S+)$/,
    (command) => {
      const name = command.split(" ").at(-1)!;
      rows.splice(
        rows.findIndex((r) => r.trim().startsWith(`${name} `)),
        1,
      );
      return { stdout: `Domain snapshot ${name} deleted\n` };
    },
    { mutates: true },
  );
  return host;
}

const tempDir = useTempDirs();
let dir: string;
let plan: string;
let state: string;
beforeEach(async () => {
  dir = await tempDir("mudanza-checkpoints-delete-");
  plan = join(dir, "ck.yaml");
  state = join(dir, "state");
  await writeFile(
    plan,
    [
      "kind: openvz-to-kvm",
      "name: ck",
      "source: {host: ovz.example.org}",
      "target: {host: vm.example.org}",
      `checkpoints: {target: {via: libvirt, transport: scripted, fixture: ${HOSTS}/libvirt-checkpoints, host: kvm1.example.org, domain: web1}}`,
      "",
    ].join("\n"),
  );
  virsh.host = await libvirtWith([UPDATE, "admins-own", COPY]);
});

/** What a run records a checkpoint taken through the plan's libvirt entry under: its backend's label. */
const WEB1 = `libvirt domain web1 on scripted:${HOSTS}/libvirt-checkpoints`;
const recordedAt = (name: string, purpose: "before-update" | "before-copy", label = WEB1) => ({
  side: "target",
  purpose,
  name,
  via: "libvirt",
  label,
  takenAt: "2026-12-01T18:47:56.000Z",
});

/** The migration's journal as a run leaves it: `recorded` its checkpoints (both by default), the last run ended `outcome`. */
async function migrationJournal(
  outcome: "done" | "failed",
  keepOpen = false,
  recorded: unknown[] = [recordedAt(UPDATE, "before-update"), recordedAt(COPY, "before-copy")],
): Promise<Journal> {
  const { journal } = await openPlanJournal(plan, state);
  await journal.startRun("yes");
  if (recorded.length > 0) await journal.setFact("checkpoints", recorded);
  await journal.updateStep("rsync", { status: outcome === "done" ? "done" : "failed" });
  if (keepOpen) return journal;
  await journal.endRun(outcome);
  await journal.close();
  return journal;
}

const deletions = () => virsh.host!.mutations.map((m) => (m.kind === "exec" ? m.command : ""));
const checkpointsIn = async (journal: Journal) =>
  (await Journal.read(journal.path))!.facts.checkpoints as Array<{ name: string; deletedAt?: string }>;

/** `checkpoints PLAN --delete --yes --even-if-unfinished`: the admin abandons the migration. */
const deleteEvenIfUnfinished = () =>
  runMain(["checkpoints", plan, "--delete", "--yes", "--even-if-unfinished", "--state-dir", state]);

describe("mudanza checkpoints PLAN --delete (found by a new-user trial: it deleted at once, with no gate)", () => {
  it("without a terminal it refuses unless --yes, deleting nothing (exit 2)", async () => {
    await migrationJournal("done");
    const { code, err } = await runMain(["checkpoints", plan, "--delete", "--state-dir", state]);
    expect(code).toBe(2);
    expect(err).toContain("pass --yes");
    expect(deletions()).toEqual([]);
  });

  it("--dry-run lists exactly what it would delete, and deletes nothing", async () => {
    const journal = await migrationJournal("done");
    const { code, out } = await runMain(["checkpoints", plan, "--delete", "--dry-run", "--state-dir", state]);
    expect(code).toBe(0);
    expect(out).toContain(`virsh -c qemu:///system snapshot-delete web1 ${UPDATE}`);
    expect(out).toContain(`virsh -c qemu:///system snapshot-delete web1 ${COPY}`);
    expect(out).not.toContain("snapshot-delete web1 admins-own");
    expect(out).toContain("kept on the target: admins-own");
    expect(deletions()).toEqual([]);
    expect((await checkpointsIn(journal)).filter((c) => c.deletedAt)).toEqual([]);
  });

  it("--yes deletes the migration's own checkpoints and journals it: rollback no longer offers them", async () => {
    const journal = await migrationJournal("done");
    const { code, err } = await runMain(["checkpoints", plan, "--delete", "--yes", "--state-dir", state]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(deletions()).toEqual([
      `virsh -c qemu:///system snapshot-delete web1 ${UPDATE}`,
      `virsh -c qemu:///system snapshot-delete web1 ${COPY}`,
    ]);
    const recorded = await checkpointsIn(journal);
    // history kept: both still there, each with when it was deleted
    expect(recorded.map((c) => [c.name, typeof c.deletedAt])).toEqual([
      [UPDATE, "string"],
      [COPY, "string"],
    ]);
    const rollback = await runMain(["rollback", plan, "--dry-run", "--state-dir", state]);
    expect(rollback.code).toBe(2);
    expect(rollback.err).toContain(`the checkpoints of migration "ck" were deleted (${UPDATE} of the target at`);
  });

  it("refuses while a run holds the migration's journal (blocked, exit 3), naming the journal", async () => {
    const running = await migrationJournal("done", true); // this process holds the lock, as a live run does
    try {
      const { code, err } = await runMain(["checkpoints", plan, "--delete", "--yes", "--state-dir", state]);
      expect(code).toBe(3);
      expect(err).toContain(`holds the lock of its journal ${running.path}`);
      expect(err).toContain("wait until it ends");
      expect(deletions()).toEqual([]);
    } finally {
      await running.close();
    }
  });

  it("refuses a migration whose last run did not end done unless --even-if-unfinished", async () => {
    const journal = await migrationJournal("failed");
    const refused = await runMain(["checkpoints", plan, "--delete", "--yes", "--state-dir", state]);
    expect(refused.code).toBe(3);
    // the blocker is the listr face's last lines (stdout here: no terminal)
    expect(refused.out).toContain(`its journal ${journal.path} says its last run`);
    expect(refused.out).toContain("ended failed");
    expect(refused.out).toContain("add --even-if-unfinished");
    expect(deletions()).toEqual([]);
    const forced = await deleteEvenIfUnfinished();
    expect(forced.code).toBe(0);
    expect(deletions()).toHaveLength(2);
  });

  it("an unfinished migration's checkpoint its backend no longer lists is not forgotten without --even-if-unfinished (found by a new-user trial)", async () => {
    virsh.host = await libvirtWith(["admins-own"]); // the listing has neither of the migration's checkpoints
    const journal = await migrationJournal("failed");
    for (const mode of ["--dry-run", "--yes"]) {
      const refused = await runMain(["checkpoints", plan, "--delete", mode, "--state-dir", state]);
      expect(refused.code, mode).toBe(3);
      expect(refused.out).toContain("add --even-if-unfinished");
    }
    expect((await checkpointsIn(journal)).filter((c) => c.deletedAt)).toEqual([]);
    const forced = await deleteEvenIfUnfinished();
    expect(forced.code).toBe(0);
    expect(deletions()).toEqual([]);
    expect((await checkpointsIn(journal)).map((c) => [c.name, typeof c.deletedAt])).toEqual([
      [UPDATE, "string"],
      [COPY, "string"],
    ]);
  });

  it("after a rollback it says so, and to run the migration again, not to roll it back again (review)", async () => {
    const journal = await migrationJournal("failed");
    const reopened = await Journal.open({
      stateDir: state,
      migrationId: journal.snapshot.migrationId,
      fileStem: journal.path
        .split("/")
        .at(-1)!
        .replace(/\.journal\.json$/, ""),
      kind: journal.snapshot.kind,
      planPath: journal.snapshot.planPath,
      planHash: journal.snapshot.planHash,
    });
    await reopened.rollBackTo(["rsync"], "rsync", [], `rolled back to checkpoint ${COPY} at 2026-12-02T10:00:00.000Z`);
    await reopened.close();
    const refused = await runMain(["checkpoints", plan, "--delete", "--yes", "--state-dir", state]);
    expect(refused.code).toBe(3);
    expect(refused.out).toContain(`it was rolled back to checkpoint ${COPY}`);
    expect(refused.out).toContain("run the migration again");
    expect(refused.out).not.toContain("roll it back (mudanza rollback");
    expect(deletions()).toEqual([]);
  });

  it("the flags of --delete are refused without it (listing asks nothing)", async () => {
    const { code, err } = await runMain(["checkpoints", plan, "--yes"]);
    expect(code).toBe(2);
    expect(err).toContain("--yes applies to --delete");
  });
});

describe("checkpoints only named like the migration's (found by a new-user trial: --delete went by the name alone)", () => {
  // Another plan file with the same name, or the admin, took it on 2026-12-01; this migration's journal records none.
  beforeEach(async () => {
    virsh.host = await libvirtWith([COPY]);
  });

  it("the listing tells one its journal records from one only named like it", async () => {
    await migrationJournal("failed", false, [recordedAt(UPDATE, "before-update")]);
    virsh.host = await libvirtWith([UPDATE, COPY, "admins-own"]);
    const { code, out } = await runMain(["checkpoints", plan, "--state-dir", state]);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`${UPDATE} .*this migration's \\(recorded in its journal\\)`));
    expect(out).toMatch(new RegExp(`${COPY} .*not this migration's \\(not in its journal\\)`));
    expect(out).toContain(
      `--delete leaves it; if you are sure it is this migration's, remove it by hand: \`virsh -c qemu:///system snapshot-delete web1 ${COPY}\``,
    );
    expect(out).not.toMatch(/admins-own .*this migration's/);
    // Without the migration's journal none is its own, and it says where it looked
    const elsewhere = join(dir, "other-state");
    await mkdir(elsewhere);
    const blind = await runMain(["checkpoints", plan, "--state-dir", elsewhere]);
    expect(blind.out).not.toContain("recorded in its journal");
    expect(blind.out).toContain(`no journal of this migration at ${elsewhere}/`);
  });

  it("--format json lists the same as one JSON document, as runs --format json does (new-user trial 8)", async () => {
    await migrationJournal("failed", false, [recordedAt(UPDATE, "before-update")]);
    virsh.host = await libvirtWith([UPDATE, COPY, "admins-own"]);
    const { code, out } = await runMain(["checkpoints", plan, "--state-dir", state, "--format", "json"]);
    expect(code).toBe(0);
    const listing = JSON.parse(out) as {
      version: number;
      plan: string;
      journal: string | null;
      sides: Array<{ side: string; checkpoints: Array<{ name: string; whose: string; removeByHand?: string }> }>;
    };
    expect(listing.version).toBe(1);
    expect(listing.plan).toBe(plan);
    expect(listing.journal).toMatch(/\.journal\.json$/);
    expect(listing.sides.map((s) => s.side)).toEqual(["target"]);
    expect(listing.sides[0]!.checkpoints.map((c) => [c.name, c.whose])).toEqual([
      [UPDATE, "recorded"],
      [COPY, "name-only"],
      ["admins-own", "other"],
    ]);
    expect(listing.sides[0]!.checkpoints[1]!.removeByHand).toBe(
      `\`virsh -c qemu:///system snapshot-delete web1 ${COPY}\``,
    );
    // It validates against the published schema (mudanza schema checkpoints; new-user trial, finding 6), also
    // without a journal of the migration; and the schema can say no: one only named like it without its fix.
    const validate = await printedSchema("checkpoints");
    expectValid(validate, out);
    const elsewhere = join(dir, "other-state");
    await mkdir(elsewhere);
    const blind = await runMain(["checkpoints", plan, "--state-dir", elsewhere, "--format", "json"]);
    expect(JSON.parse(blind.out)).toMatchObject({ journal: null });
    expectValid(validate, blind.out);
    const { removeByHand: _fix, ...withoutFix } = listing.sides[0]!.checkpoints[1]!;
    const sides = [{ ...listing.sides[0], checkpoints: [withoutFix] }];
    expect(validate({ ...listing, sides })).toBe(false);
    // --json stays the events of --delete, and says where the listing's JSON is
    const events = await runMain(["checkpoints", plan, "--state-dir", state, "--json"]);
    expect(events.code).toBe(2);
    expect(events.err).toContain("--format json");
    const withDelete = await runMain(["checkpoints", plan, "--delete", "--dry-run", "--format", "json"]);
    expect(withDelete.code).toBe(2);
    expect(withDelete.err).toContain("--format is the listing's");
  });

  it("--delete leaves one its journal does not record alone, saying why and how to remove it by hand", async () => {
    const journal = await migrationJournal("failed", false, []);
    const dry = await runMain([
      "checkpoints",
      plan,
      "--delete",
      "--dry-run",
      "--even-if-unfinished",
      "--state-dir",
      state,
    ]);
    expect(dry.code).toBe(0);
    expect(dry.out).not.toContain(`would delete ${COPY}`);
    expect(dry.out).toContain(`${COPY} of the target is not this migration's (not in its journal)`);
    expect(dry.out).toContain(
      `if you are sure it is this migration's, remove it by hand: \`virsh -c qemu:///system snapshot-delete web1 ${COPY}\``,
    );
    const run = await runMain(["checkpoints", plan, "--delete", "--yes", "--even-if-unfinished", "--state-dir", state]);
    expect(run.code).toBe(0);
    // said in a run too, not only in a dry run's report
    expect(run.out).toContain(`${COPY} of the target is not this migration's (not in its journal)`);
    expect(deletions()).toEqual([]);
    expect((await Journal.read(journal.path))!.facts.checkpoints).toBeUndefined();
  });

  it("--delete leaves one its journal records for another domain alone, and keeps the record", async () => {
    const journal = await migrationJournal("done", false, [
      recordedAt(COPY, "before-copy", `libvirt domain legacy on scripted:${HOSTS}/libvirt-checkpoints`),
    ]);
    const { code, out } = await runMain(["checkpoints", plan, "--delete", "--yes", "--state-dir", state]);
    expect(code).toBe(0);
    expect(out).toContain(`its journal records ${COPY} of the target on libvirt domain legacy`);
    expect(out).toContain(`${COPY} of the target is recorded on another backend`);
    expect(deletions()).toEqual([]);
    expect((await checkpointsIn(journal)).filter((c) => c.deletedAt)).toEqual([]);
  });
});

describe("a checkpoint its journal records that the backend no longer lists (found by a new-user trial: the listing said (none))", () => {
  it("the listing names it with when it was taken, and asks whether it was deleted outside mudanza", async () => {
    await migrationJournal("failed");
    virsh.host = await libvirtWith([COPY]);
    const gone = (name: string) =>
      `  ${name}  recorded in its journal (taken 2026-12-01T18:47:56.000Z), not listed by the backend: deleted outside mudanza?\n`;
    const some = await runMain(["checkpoints", plan, "--state-dir", state]);
    expect(some.code).toBe(0);
    expect(some.out).toContain(gone(UPDATE));
    expect(some.out).not.toContain(gone(COPY));
    virsh.host = await libvirtWith([]);
    const none = await runMain(["checkpoints", plan, "--state-dir", state]);
    expect(none.out).toContain(`target: ${WEB1}\n${gone(UPDATE)}${gone(COPY)}`);
    expect(none.out).not.toContain("(none)");
  });
});

describe("a checkpoint its journal records where the plan no longer points (found by a new-user trial: listed nowhere)", () => {
  it("the listing names it, where it is and when it was taken, after the places the plan names", async () => {
    await migrationJournal("failed", false, [
      recordedAt(UPDATE, "before-update"),
      recordedAt(COPY, "before-copy", `libvirt domain legacy on scripted:${HOSTS}/libvirt-checkpoints`),
    ]);
    virsh.host = await libvirtWith([UPDATE]);
    const { code, out } = await runMain(["checkpoints", plan, "--state-dir", state]);
    expect(code).toBe(0);
    expect(out).toContain(
      `recorded in its journal where the plan no longer points:\n  ${COPY} of the target on libvirt domain legacy on scripted:${HOSTS}/libvirt-checkpoints (libvirt, taken 2026-12-01T18:47:56.000Z): rollback returns to it only with the plan's checkpoints section as the migration ran with it\n`,
    );
    expect(out).not.toContain(`${UPDATE} of the target on`);
  });
});
