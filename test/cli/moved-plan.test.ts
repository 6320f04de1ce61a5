import { appendFile, copyFile, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";
import { openPlanJournal } from "../support/plan-journal.js";

const tempDir = useTempDirs();
let dir: string;
beforeEach(async () => {
  dir = await tempDir("mudanza-moved-plan-");
});

/** A plan `ck` that ran, took a checkpoint and failed; its journal is keyed by the path it ran from. */
async function ranThenMoved(
  options: { stoppedDatabase?: boolean; copied?: boolean; cutoverAt?: string } = {},
): Promise<{ state: string; before: string; after: string; id: string }> {
  const before = join(dir, "ck.yaml");
  await writeFile(
    before,
    "kind: openvz-to-kvm\nname: ck\nsource: {host: a.example.org}\ntarget: {host: vm.example.org}\n",
  );
  const state = join(dir, "state");
  const { journal, stem: id } = await openPlanJournal(before, state);
  await journal.startRun("yes");
  await journal.setFact("checkpoints", [
    {
      side: "target",
      purpose: "before-update",
      name: "mz-ck-before-update",
      via: "libvirt",
      label: "libvirt domain web1",
      takenAt: "2026-12-01T18:47:56.000Z",
    },
  ]);
  await journal.updateStep("pre-update", { status: "failed", message: "boom" });
  if (options.cutoverAt)
    await journal.setFact("databases", { units: ["mariadb.service"], cutoverAt: options.cutoverAt });
  if (options.stoppedDatabase)
    await journal.addCompensation({
      id: "db-freeze:start",
      title: "start mariadb again",
      host: "source",
      command: "systemctl start mariadb",
      registeredBy: "db-freeze",
    });
  await journal.endRun("failed");
  await journal.close();
  await mkdir(join(dir, "elsewhere"));
  const after = join(dir, "elsewhere", "ck-moved.yaml");
  await (options.copied ? copyFile : rename)(before, after);
  return { state, before, after, id };
}

describe("a plan moved after it ran (found by a new-user trial: rollback said it had not run)", () => {
  it("rollback, status and run name the journal the migration has under its old path, and how to go on", async () => {
    const { state, before, after, id } = await ranThenMoved();
    for (const args of [
      ["rollback", after, "--dry-run"],
      ["status", after],
      ["run", after, "--dry-run"],
    ]) {
      const { code, err } = await runMain([...args, "--state-dir", state]);
      expect(code, args.join(" ")).toBe(2);
      expect(err, args.join(" ")).not.toContain("has not run");
      expect(err, args.join(" ")).toContain(`has no journal for the plan file ${after}`);
      expect(err, args.join(" ")).toContain(`${id} (plan ${before}, no longer there)`);
      expect(err, args.join(" ")).toContain(`move it back (mv ${after} ${before})`);
      expect(err, args.join(" ")).toContain(`mudanza status ${id}`);
    }
    // run starts the migration over only when told to: it says how
    expect((await runMain(["run", after, "--dry-run", "--state-dir", state])).err).toContain("pass --restart");
  });
});

describe("a plan edited after it ran", () => {
  it("rollback and checkpoints --delete say to restore it, not to pass --restart, which they do not take", async () => {
    const { state, before, after } = await ranThenMoved();
    await rename(after, before);
    await appendFile(before, "checkpoints:\n  target: {via: qmp, socket: /run/web1.qmp}\n");
    for (const args of [
      ["rollback", before, "--dry-run"],
      ["checkpoints", before, "--delete", "--dry-run"],
    ]) {
      const { code, err } = await runMain([...args, "--state-dir", state]);
      expect(code, args.join(" ")).toBe(2);
      expect(err, args.join(" ")).toContain('changed since migration "ck" started');
      expect(err, args.join(" ")).toContain("Restore the plan the migration ran with");
      expect(err, args.join(" ")).not.toContain("--restart (the journal");
    }
  });
});

describe("a moved plan whose earlier run left something to undo (review)", () => {
  it("run refuses to start over beside it, even with --restart, and names what is left undone", async () => {
    const { state, before, after, id } = await ranThenMoved({ stoppedDatabase: true });
    for (const flags of [["--dry-run"], ["--dry-run", "--restart"]]) {
      const { code, err } = await runMain(["run", after, ...flags, "--state-dir", state]);
      expect(code, flags.join(" ")).toBe(2);
      expect(err, flags.join(" ")).toContain(`That run left undone: "start mariadb again" on source (run ${id})`);
      expect(err, flags.join(" ")).toContain(`move it back (mv ${after} ${before})`);
      expect(err, flags.join(" ")).not.toContain("pass --restart");
    }
  });
});

describe("a copy of a plan whose migration is under way (found by a new-user trial: the copy started over)", () => {
  it("run of the copy refuses, names the original and how to go on; --restart starts over as asked", async () => {
    const { state, before, after, id } = await ranThenMoved({ copied: true });
    const { code, err } = await runMain(["run", after, "--dry-run", "--state-dir", state]);
    expect(code).toBe(2);
    expect(err).toContain(`migration "ck" is under way from another plan file: ${id} (plan ${before}) its last run`);
    expect(err).toContain("ended failed");
    expect(err).toContain(`Go on with that plan file (mudanza run ${before})`);
    expect(err).toContain("give it a name of its own (name: in the plan)");
    expect(err).toContain("pass --restart");
    const restarted = await runMain(["run", after, "--dry-run", "--restart", "--state-dir", state]);
    expect(restarted.err).not.toContain("is under way");
  });

  it("with something left undone, even --restart is refused: the original must run once", async () => {
    const { state, after, id } = await ranThenMoved({ copied: true, stoppedDatabase: true });
    const { code, err } = await runMain(["run", after, "--dry-run", "--restart", "--state-dir", state]);
    expect(code).toBe(2);
    expect(err).toContain(`That run left undone: "start mariadb again" on source (run ${id}); run it once`);
    expect(err).not.toContain("pass --restart");
  });

  it("after the original's cutover even --restart is refused: the VM is production (review)", async () => {
    const cutoverAt = "2026-12-04T03:12:00.000Z";
    const { state, before, after, id } = await ranThenMoved({ copied: true, cutoverAt });
    for (const flags of [["--dry-run"], ["--dry-run", "--restart"]]) {
      const { code, err } = await runMain(["run", after, ...flags, "--state-dir", state]);
      expect(code, flags.join(" ")).toBe(2);
      expect(err).toContain(`migration "ck" cut over at ${cutoverAt} from another plan file: ${id} (plan ${before})`);
      expect(err).toContain("copy the source onto the VM");
      expect(err).not.toContain("pass --restart");
    }
  });
});
