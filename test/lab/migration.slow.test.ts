import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab } from "../../src/lab/lab.js";
import { labProblems } from "../../src/lab/prerequisites.js";
import { assertMigrated, assertTreesMatch } from "./support/assertions.js";
import { assertNoMigrationLeftovers } from "./support/leftovers.js";
import { readJournalFacts, runCli, type CliEvent, type CliRun } from "./support/run-cli.js";
import { DbWriter } from "./support/writer.js";
import { collectManifest, compareManifests } from "./support/manifest.js";
import { assertMinimalSource, assertVmOnItsOwnNetwork, sourceDatabaseStates } from "./support/minimal-variant.js";

/**
 * End to end on real hosts: a live OpenVZ-like container (systemd-nspawn, vzctl's venet config, MariaDB
 * with a writer) migrated by the real CLI into a QEMU/TCG VM that must boot as its own machine.
 * Needs root and the lab's Debian packages (scripts/setup.sh); in CI a missing piece fails the run.
 */
const problems = labProblems();
if (problems.length > 0 && process.env.CI) throw new Error(`the lab cannot run in CI: ${problems.join("; ")}`);

const MIN = 60_000;
/** What a rollback must bring back as it was: the VM's host keys, its package database, all of /etc. */
const CHECKPOINT_TREES = ["/etc", "/var/lib/dpkg"];
const FAIL_APT_CONF = "/etc/apt/apt.conf.d/99-lab-fail-update";
/** A MariaDB option that does not exist: the server refuses to start while this file is there. */
const BROKEN_DB_CONF = "/etc/mysql/mariadb.conf.d/99-lab-broken.cnf";

/** How a run ended, in its own words: the exit, the last step-end, the pipeline's last word and stderr's tail. */
function howItEnded(run: CliRun): string {
  const end = run.events.find((e) => e.type === "pipeline-end");
  const lastStep = run.events.filter((e) => e.type === "step-end").at(-1);
  return (
    `exit ${run.code ?? run.signal}; last step-end: ${JSON.stringify(lastStep ?? "none")}; ` +
    `pipeline-end: ${JSON.stringify(end?.message ?? end?.status ?? "none")}; stderr: ${run.stderr.slice(-2000)}`
  );
}

/** The exit code, with the pipeline's own last word in the message when it is not the expected one. */
function expectExit(run: CliRun, code: number): void {
  const why = howItEnded(run);
  expect(run.hungAfterEnd, `the CLI did not exit within a minute of pipeline-end (${why})`).toBe(false);
  expect(run.code, why).toBe(code);
}
const log = (line: string) => process.stderr.write(`[lab] ${line}\n`);

describe.skipIf(problems.length > 0)("lab: OpenVZ-like container to a QEMU VM", () => {
  let lab: Lab;
  const started = Date.now();

  beforeAll(async () => {
    lab = await Lab.start({ log, variant: "minimal" });
    if (lab.images.builtInSec !== undefined) log(`first build of the lab images: ${lab.images.builtInSec} s`);
    if (lab.minimal?.builtInSec !== undefined) log(`first build of the minimal variant: ${lab.minimal.builtInSec} s`);
    // A cold cache builds both variants (four debootstraps; the minimal one alone took 30 min at a load of 20):
    // a hang detector only, each debootstrap has its own 10-minute silence watchdog.
  }, 90 * MIN);

  afterAll(async () => {
    await lab?.stop();
    log(`lab tests took ${Math.round((Date.now() - started) / 1000)} s in all`);
  }, 5 * MIN);

  const cliLog = () => join(lab.runDir, "cli.log");
  const runArgs = (plan: string) => ["run", plan, "--yes", "--state-dir", lab.stateDir];

  // The minimal variant (issue 12), in the one migration this case pays for: a minbase container whose
  // MariaDB is socket-activated, onto a VM on DHCP, with a cutover plan. The first run is SIGTERMed once the
  // final pass is done and before the reboot; the second completes it from the journal.
  it(
    "migrates a live minimal-template container with a database writer into a VM on DHCP that boots on its own; a cutover run killed after the final pass restarts the source's database",
    async () => {
      expect(lab.variant).toBe("minimal");
      await assertMinimalSource(lab);
      const plan = await lab.writePlan(join(lab.runDir, "full.yaml"), { cutover: true }, "lab-full");
      const bootIdBefore = await lab.bootId(lab.target);
      const writer = new DbWriter(lab.source);
      writer.start();
      let killedAt: number | undefined;
      const first = await runCli(runArgs(plan), cliLog(), (event, child) => {
        if (event.type === "step-end" && event.stepId === "db-freeze" && event.status === "done" && !killedAt) {
          killedAt = Date.now();
          child.kill("SIGTERM");
        }
      });
      expect(killedAt, "the run reached the end of the final pass").toBeDefined();
      log(`CLI exited ${Math.round((Date.now() - killedAt!) / 100) / 10} s after its SIGTERM`);
      expect(first.code, `stderr: ${first.stderr.slice(-2000)}`).toBe(143);
      // every step is probed when the run starts: only a "run" phase means the step itself began
      const started = (id: string) =>
        first.events.some((e) => e.type === "step-start" && e.stepId === id && e.phase === "run");
      expect(started("reboot-verify"), "killed before reboot verification").toBe(false);
      expect(started("cutover")).toBe(false);
      // The cutover never happened: production is the source again, its database and its socket.
      expect(await sourceDatabaseStates(lab)).toBe("active\nactive");

      // With a cutover the source stays down from the final pass on: the writer stops there, rather than
      // reconnecting ten times a second through the kernel install and the reboot.
      let writerStopped: Promise<void> | undefined;
      const second = await runCli(runArgs(plan), cliLog(), (event) => {
        if (event.type === "step-end" && event.stepId === "db-freeze" && event.status === "done")
          writerStopped ??= writer.stop();
      });
      await (writerStopped ?? writer.stop());
      expectExit(second, 0);
      expect(lab.container.reboots, "the pre-update step rebooted the container").toBeGreaterThan(0);
      const facts = await readJournalFacts(second.events);
      await assertMigrated(lab, { bootIdBefore, facts, events: second.events, writer });
      await assertVmOnItsOwnNetwork(lab, second.events);
      await assertTreesMatch(lab, facts);
    },
    40 * MIN,
  );

  // One flow for three guarantees (a separate migration would cost the suite ~8 more minutes): a run killed
  // in the copy resumes; a failure after the copy is undone by `mudanza rollback` to the QMP checkpoint
  // taken before the copy; and the migration then runs to completion from the rolled-back VM.
  it(
    "resumes after the CLI is SIGKILLed in the middle of the copy and the VM is rebooted before network-fixup; rolls back to the checkpoint after a failed kernel install, then completes",
    async () => {
      await lab.reset();
      const plan = await lab.writePlan(join(lab.runDir, "killed.yaml"), { skipPreUpdate: true }, "lab-killed", {
        target: { via: "qmp", socket: lab.vm.qmpSocket },
      });
      const bootIdBefore = await lab.bootId(lab.target);
      // The VM as it is before the migration touches it: nothing changes it until the checkpoint is taken.
      const atCheckpoint = await collectManifest(lab.target, [], CHECKPOINT_TREES);
      // Injected failure: apt-get update fails at once (nothing runs apt on the source in this case); the copy
      // brings this file to the VM, where the kernel install's first command, its package list refresh, fails.
      await lab.source.run(`printf '%s\\n' 'APT::Update::Pre-Invoke { "false"; };' > ${FAIL_APT_CONF}`);
      let killedIn: string | undefined;
      let copying = false;
      const first = await runCli(runArgs(plan), cliLog(), (event, child) => {
        if (event.type === "step-start" && event.stepId === "rsync" && event.phase === "run") copying = true;
        // a progress report from rsync means bytes are moving: kill the CLI right there
        if (copying && event.type === "progress" && event.stepId === "rsync" && !killedIn) {
          killedIn = event.stepId;
          child.kill("SIGKILL");
        }
      });
      expect(killedIn).toBe("rsync");
      expect(first.signal, howItEnded(first)).toBe("SIGKILL");
      expect(
        first.events.some((e) => e.type === "step-end" && e.stepId === "checkpoint-before-copy" && e.status === "done"),
        "the checkpoint was taken before the copy",
      ).toBe(true);

      // The resumed run is killed again once the copy is complete, before network-fixup; then someone reboots
      // the VM. It must come back on its own network (the copy never replaced its network config), or no
      // resumed run could reach it.
      const resumed = await runCli(runArgs(plan), cliLog(), (event, child) => {
        if (event.type === "step-end" && event.stepId === "rsync" && event.status === "done") child.kill("SIGKILL");
      });
      expect(resumed.signal, `killed once the copy was complete (${howItEnded(resumed)})`).toBe("SIGKILL");
      expect(
        resumed.events.some((e) => e.type === "step-start" && e.stepId === "network-fixup" && e.phase === "run"),
      ).toBe(false);
      // the copy brought the container's host keys: the VM's sshd already serves them
      const bootIdAfterCopy = await lab.bootId(lab.targetWithSourceKeys);
      await lab.targetWithSourceKeys.exec("systemctl reboot", { timeoutMs: 30_000 }); // the connection drops as it goes down
      await lab.targetWithSourceKeys.waitFor(
        `test "$(cat /proc/sys/kernel/random/boot_id)" != ${bootIdAfterCopy}`,
        15 * MIN,
        "the VM rebooted after the copy, before network-fixup",
        () => lab.vm.running,
      );

      const second = await runCli(runArgs(plan), cliLog());
      expectExit(second, 1);
      const failedStep = second.events.find((e) => e.type === "step-end" && e.status === "failed");
      // the message of the step that failed, when it is another: what to look at first in a failed lab run
      expect(failedStep?.stepId, String(failedStep?.message)).toBe("kernel-install");

      const rollback = await runCli(["rollback", plan, "--yes", "--state-dir", lab.stateDir], cliLog());
      expectExit(rollback, 0);
      // The VM is its own machine again: its own host keys answer, its package database and /etc are as at the checkpoint.
      expect(await lab.target.run("true", { timeoutMs: 60_000 })).toBe("");
      const diff = compareManifests(atCheckpoint, await collectManifest(lab.target, [], CHECKPOINT_TREES));
      expect(diff).toEqual({ missing: [], different: [], extra: [], linkGroups: [] });

      await lab.source.run(`rm -f ${FAIL_APT_CONF}`);
      const third = await runCli(runArgs(plan), cliLog());
      expectExit(third, 0);
      const facts = await readJournalFacts(third.events);
      await assertMigrated(lab, { bootIdBefore, facts, events: third.events });
      await assertTreesMatch(lab, facts);
      // fault matrix (issue 11): key gone from both hosts, no rsync left beside the resumed one's
      await assertNoMigrationLeftovers(lab);
      // Two migrations' worth of work (a resumed copy, then a whole copy again after the rollback): twice the 30 minutes of one.
    },
    60 * MIN,
  );

  // Fault matrix (issue 11), a database on the real container that will not start again: once the freeze
  // has stopped MariaDB, a broken option in its config makes every start fail, and the VM is powered off so
  // the final pass fails. The compensation then fails and stays pending; after the admin's fix a re-run
  // starts the database first, though the target is still gone.
  it(
    "starts the source's database again when the run fails during the freeze",
    async () => {
      await lab.reset();
      const plan = await lab.writePlan(
        join(lab.runDir, "freeze-fail.yaml"),
        { skipPreUpdate: true, maxLivePasses: 1 },
        "lab-freeze-fail",
      );
      let frozen = false;
      let watcher: Promise<void> | undefined;
      const onEvent = (event: CliEvent) => {
        if (event.type === "step-start" && event.stepId === "db-freeze" && event.phase === "run" && !watcher) {
          // as soon as the source's database is down, break its config, then pull the plug on the VM: the
          // final pass must fail, and the database must not start again
          watcher = (async () => {
            // one SSH session polling every 0.2 s: the freeze lasts seconds, a slower poll could miss it
            await lab.source.run(
              `timeout 600 sh -c 'while systemctl is-active --quiet mariadb; do sleep 0.2; done' && printf '%s\\n' '[mysqld]' 'lab-no-such-option = 1' > ${BROKEN_DB_CONF}`,
              { timeoutMs: 11 * MIN },
            );
            frozen = true;
            lab.vm.kill();
          })();
        }
      };
      const run = await runCli(runArgs(plan), cliLog(), onEvent);
      await watcher;
      expect(frozen).toBe(true);
      expectExit(run, 1);
      const compensations = run.events.filter((e) => e.type === "compensation");
      expect(compensations, "the compensation failed and is named").toContainEqual(
        expect.objectContaining({ ok: false, id: "start-databases-source", title: expect.stringMatching(/mariadb/) }),
      );
      expect((await lab.source.run("systemctl is-active mariadb || true")).trim()).not.toBe("active");

      // the admin's fix; the VM stays off: the re-run cannot reach the target, but starts the database first
      await lab.source.run(`rm ${BROKEN_DB_CONF}`);
      const rerun = await runCli(runArgs(plan), cliLog());
      expectExit(rerun, 3);
      expect(rerun.events.filter((e) => e.type === "compensation")).toEqual([
        expect.objectContaining({ ok: true, id: "start-databases-source" }),
      ]);
      expect((await lab.source.run("systemctl is-active mariadb")).trim()).toBe("active");
      const count = Number((await lab.source.run("mariadb -N -e 'SELECT COUNT(*) FROM lab.acks'")).trim());
      expect(count).toBeGreaterThanOrEqual(500);
    },
    20 * MIN,
  );
});
