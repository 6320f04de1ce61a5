import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { exitCodeForRun } from "../../src/exit-codes.js";
import type { ScriptedHost } from "../../src/hosts/scripted-host.js";
import { OVZ_FACTS } from "../../src/steps/openvz-to-kvm/facts.js";
import { changedListCommand, LIVE_PASS_MARK } from "../../src/steps/rsync/changed-since.js";
import { loadPair, PAIRS, runOvz } from "../pipelines/openvz-to-kvm/harness.js";
import { simulate } from "../pipelines/openvz-to-kvm/simulate.js";
import { RSYNC_PASS } from "../support/locked-rsync.js";
import { SSH_MASTER_SOCKET } from "../../src/steps/rsync/ssh-master.js";
import { CATCH_UP_WHY } from "../../src/steps/openvz-to-kvm/short-freeze.js";
import { Journal } from "../../src/journal/journal.js";
import { revokeCommand } from "../../src/steps/ssh-access/migration-key.js";

/**
 * The shortest freeze on scripted hosts: the final pass copies what changed since the last live pass began
 * (the database's files the stop wrote among them), a full comparison after the thaw proves it: a file the
 * list missed is copied again, a database file only by a second freeze.
 */
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const WRITTEN_AT_STOP = "/var/lib/mysql/ibdata1";
const MISSED = "/etc/motd";

async function run(
  options: {
    cutover?: boolean;
    hide?: boolean;
    databaseDriftAtThaw?: boolean;
    /** The second freeze's whole-tree pass fails (rsync exit 12). */
    refreezeFails?: boolean;
    sourceWritesAfterThaw?: boolean;
    finalPass?: "changed" | "full";
    targetRsync?: string;
    /** The shared ssh connection cannot be opened (the target refuses a second login, say). */
    noSharedConnection?: boolean;
    /** The list of changed paths cannot be made (find fails). */
    listFails?: boolean;
  } = {},
) {
  const { plan, source, target } = await loadPair(PAIRS.debian.plan, {
    maxLivePasses: 1,
    cutover: options.cutover ?? false,
    ...(options.finalPass ? { finalPass: options.finalPass } : {}),
  });
  source.putDir("/var/lib/mysql", 0o700);
  const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [0] });
  // The database writes its files as it stops; an admin edited /etc/motd during the live pass.
  let stops = 0;
  const stop = source.rules.find((r) => String(r.match) === String(/^systemctl (stop|start) /))!.reply;
  if (typeof stop !== "function") throw new Error("simulate() has no systemctl rule");
  source.on(
    /^systemctl (stop|start) /,
    (command, host) => {
      if (command.startsWith("systemctl stop ")) {
        stops++;
        host.putFile(WRITTEN_AT_STOP, `pages written at stop ${stops}\n`);
        host.putFile(MISSED, "edited while the live pass ran\n");
      } else if (options.databaseDriftAtThaw && stops === 1)
        // Something on the VM touched the copied database files right after the frozen pass.
        target.putFile(WRITTEN_AT_STOP, "written on the VM\n");
      const result = stop(command, host);
      // The source's database, started again, goes on writing its files (their ctime now past the freeze mark).
      if (options.sourceWritesAfterThaw && command.startsWith("systemctl start "))
        host.putFile(WRITTEN_AT_STOP, "written after the thaw\n");
      return result;
    },
    { mutates: true },
  );
  if (options.refreezeFails) {
    const copy = source.rules.find((r) => String(r.match) === String(RSYNC_PASS))!.reply;
    if (typeof copy !== "function") throw new Error("simulate() has no rsync rule");
    source.on(
      RSYNC_PASS,
      (command, host) =>
        stops < 2 ? copy(command, host) : { code: 12, stderr: "rsync error: error in rsync protocol data stream\n" },
      { mutates: true },
    );
  }
  // Each copy as rsync ran it: its list from stdin (the waiting copy's) is known only when it runs.
  const copiesRun: Array<{ command: string; stdin: string | undefined }> = [];
  const copy = source.rules.find((r) => String(r.match) === String(RSYNC_PASS))!.reply;
  if (typeof copy !== "function") throw new Error("simulate() has no rsync rule");
  source.on(
    RSYNC_PASS,
    (command, host, execOptions) => (
      copiesRun.push({ command, stdin: execOptions?.stdin }),
      copy(command, host, execOptions)
    ),
    { mutates: true },
  );
  if (options.listFails)
    source.on(new RegExp(`^cd / && find \\. -xdev -ignore_readdir_race .*-cnewer ${LIVE_PASS_MARK} `), {
      code: 1,
      stderr: "find: '/proc/4242': No such file or directory\n",
    });
  if (options.hide) state.shortFreeze.hiddenFromList.add(MISSED);
  if (options.noSharedConnection) state.shortFreeze.sharedConnection.canOpen = false;
  if (options.targetRsync)
    target.on("rsync --version", { stdout: `rsync  version ${options.targetRsync}  protocol version 31\n` });
  const result = await runOvz(plan, { source, target }, "yes");
  dirs.push(result.stateDir);
  return { ...result, state, source, target, stops: () => stops, copiesRun };
}

const commands = (host: ScriptedHost): string[] =>
  host.log.filter((e) => e.kind === "exec").map((e) => (e as { command: string }).command);

describe("the final pass copies only what changed since the last live pass", () => {
  it("lists by ctime, copies the list and the database directory, and the proof finds nothing missed", async () => {
    const { outcome, journal, source, target, stops, state } = await run();
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    const facts = journal.snapshot.facts;
    const final = (facts[OVZ_FACTS.syncPasses.key] as Array<{ kind: string; scope?: string }>).filter(
      (p) => p.kind === "final",
    );
    expect(final).toEqual([expect.objectContaining({ scope: "changed" })]);
    // Each part of the frozen pass is timed apart, in the order it ran, for the bench's breakdown.
    const parts = (final[0] as { parts?: Array<{ what: string; seconds: number }> }).parts;
    expect(parts?.map((p) => p.what)).toEqual(["list changed paths", "rsync of the list"]);
    expect(parts?.every((p) => Number.isFinite(p.seconds) && p.seconds >= 0)).toBe(true);
    expect(facts[OVZ_FACTS.freezeProof.key]).toMatchObject({
      repairedCount: 0,
      staleInDatabases: [],
      redo: "not needed",
    });
    expect(stops()).toBe(1);
    expect(target.files.get(WRITTEN_AT_STOP)?.content).toBe("pages written at stop 1\n");
    expect(target.files.get(MISSED)?.content).toBe("edited while the live pass ran\n");
    // Inside the freeze: the list (the database directory's entries in it), then one rsync of it; no whole-tree pass.
    const log = commands(source);
    const stopAt = log.findIndex((c) => c.startsWith("systemctl stop "));
    const frozen = log.slice(
      stopAt,
      log.findIndex((c) => c.startsWith("systemctl start ")),
    );
    expect(frozen).toContain(changedListCommand(LIVE_PASS_MARK, ["/var/lib/mysql"]));
    // The one rsync started before the stop, and waited for the list: it copied what the stop wrote (above).
    expect(frozen.filter((c) => RSYNC_PASS.test(c))).toEqual([]);
    const opened = log.findIndex((c) => c.includes(" -o ControlMaster=yes "));
    const copies = log.slice(opened, stopAt).filter((c) => RSYNC_PASS.test(c));
    expect(copies).toHaveLength(1);
    expect(copies.every((c) => c.includes("--files-from=- ") && !c.includes("--relative"))).toBe(true);
    // It runs over one ssh connection opened before the stop and closed after the start: no login in the freeze.
    expect(copies.every((c) => c.includes(`-o ControlPath=${SSH_MASTER_SOCKET} -o ControlMaster=no`))).toBe(true);
    const closed = log.findIndex((c) => c.includes(" -O exit "));
    expect(opened).toBeGreaterThan(-1);
    expect(closed).toBeGreaterThan(log.findIndex((c) => c.startsWith("systemctl start ")));
    expect(state.shortFreeze.sharedConnection.open).toBe(false);
  });

  it("without the shared ssh connection the frozen pass still runs, its rsync logging in on its own", async () => {
    const { outcome, journal, target, events } = await run({ noSharedConnection: true });
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    expect(journal.snapshot.facts[OVZ_FACTS.freezeProof.key]).toMatchObject({ repairedCount: 0, redo: "not needed" });
    expect(target.files.get(WRITTEN_AT_STOP)?.content).toBe("pages written at stop 1\n");
    expect(events.some((e) => e.type === "output" && /shared ssh connection could not be opened/.test(e.line))).toBe(
      true,
    );
  });

  it("when the list cannot be made, the waiting rsync copies nothing and ends before the whole tree is copied in the same freeze", async () => {
    const { outcome, journal, target, stops, copiesRun, events } = await run({ listFails: true });
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    expect(stops()).toBe(1);
    const final = (journal.snapshot.facts[OVZ_FACTS.syncPasses.key] as Array<{ kind: string; scope?: string }>).filter(
      (p) => p.kind === "final",
    );
    expect(final).toHaveLength(1);
    expect(final[0]!.scope).toBeUndefined(); // the whole tree: no list
    expect(journal.snapshot.facts[OVZ_FACTS.freezeProof.key]).toBeUndefined();
    expect(target.files.get(WRITTEN_AT_STOP)?.content).toBe("pages written at stop 1\n");
    // The waiting copy was never told to go; it ended (its lock free) before the whole-tree pass began.
    const waitingAt = copiesRun.findIndex((c) => c.command.includes("--files-from=- "));
    expect(waitingAt).toBeGreaterThan(-1);
    expect(copiesRun[waitingAt]!.stdin).toBe("");
    expect(copiesRun.slice(waitingAt + 1).some((c) => !c.command.includes("--files-from="))).toBe(true);
    expect(events.some((e) => e.type === "output" && /list of changed paths could not be made/.test(e.line))).toBe(
      true,
    );
  });

  it("a change the list missed is found after the thaw and copied again, as the source still holds it", async () => {
    const { outcome, journal, target, stops } = await run({ hide: true });
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    const facts = journal.snapshot.facts;
    expect(facts[OVZ_FACTS.freezeProof.key]).toMatchObject({
      repairedCount: 1,
      repaired: ["etc/motd"],
      redo: "not needed",
      repairSeconds: expect.any(Number),
    });
    expect(stops()).toBe(1);
    expect(target.files.get(MISSED)?.content).toBe("edited while the live pass ran\n");
  });

  it("what the source's database writes after the thaw is newer than the copy: no second freeze, no repair", async () => {
    const { outcome, journal, target, stops } = await run({ sourceWritesAfterThaw: true });
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    expect(journal.snapshot.facts[OVZ_FACTS.freezeProof.key]).toMatchObject({
      sinceFreeze: 1,
      repairedCount: 0,
      staleInDatabases: [],
      redo: "not needed",
    });
    expect(stops()).toBe(1);
    // The VM keeps the database as it was at the freeze: the consistent copy the stop made.
    expect(target.files.get(WRITTEN_AT_STOP)?.content).toBe("pages written at stop 1\n");
  });

  it("a stale difference inside the database directory makes the freeze happen again, with a full pass", async () => {
    const { outcome, journal, target, stops } = await run({ databaseDriftAtThaw: true });
    expect(exitCodeForRun(outcome), outcome.message).toBe(0);
    const facts = journal.snapshot.facts;
    expect(facts[OVZ_FACTS.freezeProof.key]).toMatchObject({
      staleInDatabases: ["var/lib/mysql/ibdata1"],
      redo: "done",
    });
    const final = (facts[OVZ_FACTS.syncPasses.key] as Array<{ kind: string; scope?: string }>).filter(
      (p) => p.kind === "final",
    );
    expect(final.map((p) => p.scope ?? "whole")).toEqual(["changed", "whole"]);
    expect(stops()).toBe(2);
    expect(target.files.get(WRITTEN_AT_STOP)?.content).toBe("pages written at stop 2\n");
  });

  it("a redo of the freeze that fails is recorded as under way, not as not needed", async () => {
    const { outcome, journal, stops } = await run({ databaseDriftAtThaw: true, refreezeFails: true });
    expect(exitCodeForRun(outcome)).not.toBe(0);
    expect(stops()).toBe(2);
    expect(journal.snapshot.facts[OVZ_FACTS.freezeProof.key]).toMatchObject({
      staleInDatabases: ["var/lib/mysql/ibdata1"],
      redo: "under way",
    });
  });

  it("with a target rsync before 3.1.3 (whole-second mtimes) the listed paths and the database files are sent whatever their mtime says", async () => {
    const copies = async (targetRsync?: string) => {
      const { outcome, source } = await run({ targetRsync });
      expect(exitCodeForRun(outcome), outcome.message).toBe(0);
      return commands(source).filter(
        (c) => RSYNC_PASS.test(c) && (c.includes("--files-from=- ") || c.includes("--relative")),
      );
    };
    const old = await copies("3.1.2");
    expect(old).toHaveLength(1);
    for (const copy of old) {
      expect(copy).toContain("--ignore-times");
      expect(copy).not.toContain("--modify-window=-1");
    }
    const current = await copies();
    expect(current).toHaveLength(1);
    for (const copy of current) {
      expect(copy).toContain("--modify-window=-1");
      expect(copy).not.toContain("--ignore-times");
    }
  });

  it("the gate marks the whole-tree pass as the fallback it is, and nothing else", async () => {
    const gateOf = async (options: { finalPass?: "full" }) => {
      const { events } = await run(options);
      const gate = events.find((e) => e.type === "prompt" && e.stepId === "db-freeze");
      if (gate?.type !== "prompt") throw new Error("db-freeze asked nothing");
      return gate.commands;
    };
    const wholeTree = (await gateOf({ finalPass: "full" })).filter((c) => RSYNC_PASS.test(c.command));
    expect(wholeTree.length).toBeGreaterThan(0);
    expect(wholeTree.filter((c) => c.when !== undefined)).toEqual([]);
    // With the short pass that same whole-tree pass runs only as its fallback; the short pass's own do not wait.
    const short = await gateOf({});
    expect(short.filter((c) => c.when !== undefined).map((c) => c.command)).toEqual(wholeTree.map((c) => c.command));
    expect(short.filter((c) => c.when === undefined && RSYNC_PASS.test(c.command)).length).toBeGreaterThan(0);
  });

  it("a cutover and options.finalPass: full copy the whole tree, with no list and no proof", async () => {
    for (const options of [{ cutover: true }, { finalPass: "full" as const }]) {
      const { outcome, journal, source } = await run(options);
      expect(exitCodeForRun(outcome), outcome.message).toBe(0);
      expect(commands(source)).not.toContain(changedListCommand(LIVE_PASS_MARK, ["/var/lib/mysql"]));
      expect(journal.snapshot.facts[OVZ_FACTS.freezeProof.key]).toBeUndefined();
    }
  });
});

describe("a run stopped between the copy and the freeze", () => {
  it("loses the live pass's mark with the migration key; the next run makes a live pass first and still freezes short", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { maxLivePasses: 1, cutover: false });
    source.putDir("/var/lib/mysql", 0o700);
    simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [0] });
    const stopRule = source.rules.find((r) => String(r.match) === String(/^systemctl (stop|start) /))!.reply;
    if (typeof stopRule !== "function") throw new Error("simulate() has no systemctl rule");
    let failStop = true;
    source.on(
      /^systemctl (stop|start) /,
      (command, host, options) =>
        failStop && command.startsWith("systemctl stop ")
          ? { code: 1, stderr: "Job for mariadb.service canceled.\n" }
          : stopRule(command, host, options),
      { mutates: true },
    );
    const first = await runOvz(plan, { source, target }, "yes");
    dirs.push(first.stateDir);
    expect(exitCodeForRun(first.outcome)).not.toBe(0);
    // The failed freeze's undo removed the migration folder, the mark with it (below, a kill's state instead).
    expect(source.files.has(LIVE_PASS_MARK)).toBe(false);

    failStop = false;
    // As a kill -9 leaves it: the mark still there, its removal (with the key) pending for the next run's start.
    source.putFile(LIVE_PASS_MARK, "");
    const journal = await Journal.open({
      stateDir: first.stateDir,
      migrationId: plan.name ?? "ovz",
      kind: plan.kind,
      planPath: "plan.yaml",
      planHash: "h",
    });
    try {
      await journal.addCompensation({
        id: "revoke-migration-key-source",
        title: "remove the migration key from the source",
        host: "source",
        command: revokeCommand("source"),
        registeredBy: "db-freeze",
      });
    } finally {
      await journal.close();
    }
    const dry = await runOvz(plan, { source, target }, "dry-run", first.stateDir);
    const probed = dry.events.find((e) => e.type === "step-probed" && e.stepId === "db-freeze");
    expect(JSON.stringify(probed)).toContain(CATCH_UP_WHY);
    const gateBefore = commands(source).length;
    const second = await runOvz(plan, { source, target }, "yes", first.stateDir);
    expect(exitCodeForRun(second.outcome), second.outcome.message).toBe(0);
    const log = commands(source).slice(gateBefore);
    const stopAt = log.findIndex((c) => c.startsWith("systemctl stop "));
    const liveBeforeStop = log.slice(0, stopAt).filter((c) => RSYNC_PASS.test(c) && c.includes("live-pass.pending"));
    expect(liveBeforeStop).toHaveLength(1);
    const passes = second.journal.snapshot.facts[OVZ_FACTS.syncPasses.key] as Array<{ kind: string; scope?: string }>;
    expect(passes.filter((p) => p.kind === "final")).toEqual([expect.objectContaining({ scope: "changed" })]);
    expect(second.events.some((e) => e.type === "output" && /a full final pass instead/.test(e.line))).toBe(false);
    const gate = second.events.find((e) => e.type === "prompt" && e.stepId === "db-freeze");
    if (gate?.type !== "prompt") throw new Error("db-freeze asked nothing");
    expect(
      gate.commands.some((c) => c.command.includes("live-pass.pending") && /live pass first/.test(c.purpose ?? "")),
    ).toBe(true);
  });
});
