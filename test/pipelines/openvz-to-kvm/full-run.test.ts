import { describe, expect, it } from "vitest";
import { Journal } from "../../../src/journal/journal.js";
import { fingerprintOf } from "../../../src/steps/ssh-access/host-keys.js";
import { innerRsync } from "../../support/locked-rsync.js";
import { loadPair, PAIRS, runOvz } from "./harness.js";
import { simulate } from "./simulate.js";
import { exitCodeForRun } from "../../../src/exit-codes.js";

describe.each(Object.entries(PAIRS))(
  "a full --yes run on scripted %s hosts that simulate the commands' effects",
  (name, pair) => {
    it("runs the steps in order, records the freeze window and leaves a migrated target", async () => {
      const { plan, source, target } = await loadPair(pair.plan, { maxLivePasses: 4 });
      const sourceMachineId = source.files.get("/etc/machine-id")!.content;
      const sourceKeyBlob = source.files.get("/etc/ssh/ssh_host_ed25519_key.pub")!.content.split(" ")[1]!;
      const state = simulate(source, target, {
        family: pair.family,
        kernel: pair.kernel,
        passBytes: [900_000_000, 40_000_000, 52_000_000],
      });
      const { outcome, events, stateDir } = await runOvz(plan, { source, target }, "yes");
      expect(outcome.message ?? "").toBe("");
      expect(exitCodeForRun(outcome)).toBe(0);

      const ended = events
        .filter((e) => e.type === "step-end")
        .map((e) => e.type === "step-end" && `${e.stepId}:${e.status}`);
      expect(ended).toEqual([
        "checkpoint-before-update:skipped", // no checkpoints section
        "pre-update:done",
        "release-match:done",
        "capture-target:done",
        "checkpoint-before-copy:skipped",
        "rsync:done",
        "db-freeze:done",
        "network-fixup:done",
        "kernel-install:done",
        "restore-vm-packages:done",
        "pre-reboot-check:done",
        "reboot-verify:done",
        "cutover:skipped",
        "delete-checkpoints:skipped",
      ]);

      // Live passes stop when the changed data stops shrinking (900M, 40M, 52M), then one final pass.
      const journal = (await Journal.read(Journal.pathFor(stateDir, plan.name!)))!;
      const passes = journal.facts.syncPasses as Array<{ kind: string; transferredBytes: number }>;
      expect(passes.map((p) => `${p.kind}:${p.transferredBytes}`)).toEqual([
        "live:900000000",
        "live:40000000",
        "live:52000000",
        "final:52000000",
      ]);
      expect(state.passes).toHaveLength(4);
      // Content is compared until one pass has completed (the VM's files are not the source's), then the quick check.
      expect((journal.facts.syncPasses as Array<{ compare: string }>).map((p) => p.compare)).toEqual([
        "checksum",
        "quick-check",
        "quick-check",
        "quick-check",
      ]);
      expect(state.passes.map((c) => c.includes(" --checksum "))).toEqual([true, false, false, false]);
      const rsyncVerify = events.find((e) => e.type === "step-end" && e.stepId === "rsync");
      expect(JSON.stringify(rsyncVerify)).toMatch(
        /pass 1: exit 0, 900000000 bytes, [\d.]+ s, content compared \(--checksum\)/,
      );
      expect(typeof journal.facts.freezeWindowSec).toBe("number");
      expect(journal.facts.freezeWindowSec as number).toBeGreaterThanOrEqual(0);
      expect(journal.compensations).toEqual([]);

      // Progress events came from the real progress2 lines (bytes, percent, rate, files checked).
      const progress = events.filter((e) => e.type === "progress");
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)).toMatchObject({
        progress: { bytesDone: 30_000_008, percent: 100, filesChecked: 6, filesTotal: 6 },
      });

      // The databases were stopped before the final pass and run again on both sides.
      const execs = source.log.filter((l) => l.kind === "exec").map((l) => (l.kind === "exec" ? l.command : ""));
      const stopAt = execs.indexOf("systemctl stop -- mariadb.service");
      const finalAt = execs.map(innerRsync).lastIndexOf(state.passes.at(-1)!);
      // The short final pass's rsync starts before the stop and waits: it copies once the list, made after it, is given.
      const copiesAt = execs[finalAt]?.includes("--files-from=- ")
        ? execs.findIndex((c) => c.startsWith("cd / && find . -xdev "))
        : finalAt;
      expect(stopAt).toBeGreaterThan(-1);
      expect(finalAt).toBeGreaterThan(-1);
      expect(stopAt).toBeLessThan(copiesAt);
      expect(state.units.source.get("mariadb.service")).toBe(true);
      expect(state.units.target.get("mariadb.service")).toBe(true);

      // The target carries the source's files, its own boot files, no venet config and no migration key.
      expect(target.files.get("/etc/machine-id")!.content).toBe(sourceMachineId);
      expect(target.files.has(`/boot/vmlinuz-${pair.kernel}`)).toBe(true);
      const leftovers = [...target.files.keys()].filter((p) => /venet|K00vzreboot/.test(p));
      expect(leftovers.filter((p) => !p.startsWith("/root/mudanza-backup/"))).toEqual([]);
      // ...but each removed file is kept in the backup directory.
      expect(leftovers.length).toBeGreaterThan(0);
      expect(journal.facts.networkFixup).toMatchObject({
        backupDir: expect.stringMatching(/^\/root\/mudanza-backup\//),
      });
      expect(target.files.get("/etc/network/interfaces")?.content ?? "").not.toMatch(/venet0/);
      for (const host of [source, target])
        expect(host.files.get("/root/.ssh/authorized_keys")!.content).not.toMatch(/mudanza-migration-key/);
      expect([...source.files.keys()].some((p) => p.startsWith("/root/.mudanza-migrate"))).toBe(false);
      // The tool's own key is still authorized on the target.
      expect(target.files.get("/root/.ssh/authorized_keys")!.content).toMatch(/admin@workstation/);

      // After the copy the control connection reconnects pinned to the source's host keys.
      const reconnects = target.log.filter((l) => l.kind === "reconnect");
      const last = reconnects.at(-1);
      expect(last?.kind === "reconnect" && last.acceptHostKeys).toContain(fingerprintOf(sourceKeyBlob));
      expect(journal.facts.targetAcceptHostKeys).toContain(fingerprintOf(sourceKeyBlob));

      // Before the reboot the container's address left /etc/hosts (vzctl had put it next to the hostname); the old file is kept.
      expect(target.files.get("/etc/hosts")!.content).toMatch(/^198\.18\.20\.10 db\d\.example\.net db\d$/m);
      expect(target.files.get("/etc/hosts")!.content).not.toMatch(/198\.18\.10\.3\d/);
      const fixed = journal.facts.preRebootCheck as { backupDir: string; fixed: Array<{ kind: string }> };
      expect(fixed.fixed.map((f) => f.kind)).toEqual(["etc-hosts"]);
      expect(target.files.get(`${fixed.backupDir}/etc/hosts`)?.content).toMatch(/^198\.18\.10\.3\d db\d/m);
      // The reboot came after the check.
      const stepOrder = events
        .filter((e) => e.type === "step-start" && e.phase === "run")
        .map((e) => e.type === "step-start" && e.stepId);
      expect(stepOrder.indexOf("pre-reboot-check")).toBe(stepOrder.indexOf("reboot-verify") - 1);

      // The kernel package was installed on the target, nothing private reached the journal.
      expect(JSON.stringify(journal)).not.toMatch(/PRIVATE|simulated private key/);
      if (name === "alma") {
        expect(target.files.has("/.autorelabel")).toBe(true);
        expect(target.files.get("/etc/sysconfig/network-scripts/ifcfg-ens3")?.content).toMatch(
          /IPADDR=198\.18\.20\.10/,
        );
        const install = target.log.find((l) => l.kind === "exec" && l.command.startsWith("dnf -y install"));
        expect(install?.kind === "exec" && install.command).toMatch(
          /^dnf -y install kernel-4\.18\.0-513\.5\.1\.el8_9\.x86_64 .*grub2-pc/,
        );
      } else {
        expect(target.files.get("/etc/network/interfaces")?.content).toMatch(/iface ens3 inet static/);
        const install = target.log.find(
          (l) => l.kind === "exec" && l.command.includes("apt-get -y") && l.command.includes(" install "),
        );
        expect(install?.kind === "exec" && install.command).toMatch(
          /install linux-image-6\.1\.0-35-amd64 grub-common grub-pc grub-pc-bin grub2-common initramfs-tools kmod udev$/,
        );
        // The copied package lists are refreshed first.
        const targetExecs = target.log
          .filter((l) => l.kind === "exec")
          .map((l) => (l.kind === "exec" ? l.command : ""));
        expect(targetExecs[targetExecs.indexOf(install?.kind === "exec" ? install.command : "") - 1]).toBe(
          "DEBIAN_FRONTEND=noninteractive apt-get update",
        );
      }
    });
  },
);

describe("failures keep the source safe", () => {
  it("a failed start on the target runs the compensation that starts the databases on the source", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { skipPreUpdate: true });
    const state = simulate(source, target, {
      family: "debian",
      kernel: PAIRS.debian.kernel,
      passBytes: [100, 100],
      failTargetStart: true,
    });
    const { outcome, events } = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(outcome)).toBe(1);
    expect(events.find((e) => e.type === "step-end" && e.status === "failed")).toMatchObject({ stepId: "db-freeze" });
    const compensations = events
      .filter((e) => e.type === "compensation")
      .map((e) => e.type === "compensation" && `${e.id}:${e.host}:${e.ok}`);
    expect(compensations).toContain("start-databases-source:source:true");
    expect(compensations).toContain("revoke-migration-key-source:source:true");
    expect(state.units.source.get("mariadb.service")).toBe(true);
    expect([...source.files.keys()].some((p) => p.startsWith("/root/.mudanza-migrate"))).toBe(false);
  });

  it("a migrated sshd that would not answer blocks before the reboot: no reboot, the databases run again on the source", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { skipPreUpdate: true, cutover: true });
    // The container's sshd listens on its venet address only: fine in the container, dead on the VM.
    source.putFile("/etc/ssh/sshd_config", "ListenAddress 198.18.10.31\nPermitRootLogin prohibit-password\n");
    const state = simulate(source, target, { family: "debian", kernel: PAIRS.debian.kernel, passBytes: [100, 100] });
    const { outcome, events } = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(outcome)).toBe(3);
    expect(outcome.status).toBe("blocked");
    expect(outcome.message).toMatch(/^sshd listens on an address the VM lacks: .*ListenAddress 198\.18\.10\.31/);
    expect(events.find((e) => e.type === "step-end" && e.status === "blocked")).toMatchObject({
      stepId: "pre-reboot-check",
    });
    expect(target.log.some((l) => l.kind === "exec" && l.command.includes("systemctl reboot"))).toBe(false);
    expect(state.passes.length).toBeGreaterThan(0);
    expect(state.units.source.get("mariadb.service")).toBe(true);
  });

  it("a live pass ending in rsync exit 24 (vanished files) is not a failure", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { skipPreUpdate: true, maxLivePasses: 1 });
    simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passCodes: [24, 0] });
    const { outcome, events } = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(outcome)).toBe(0);
    expect(
      events.some((e) => e.type === "output" && /exit 24: some files vanished during the live pass/.test(e.line)),
    ).toBe(true);
  });

  it("an rsync error stops the step with rsync's own reason and says a rerun sends only the changes", async () => {
    const { plan, source, target } = await loadPair(PAIRS.alma.plan, { skipPreUpdate: true });
    simulate(source, target, { family: "rhel", kernel: PAIRS.alma.kernel, passCodes: [23] });
    const { outcome } = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(outcome)).toBe(1);
    expect(outcome.message).toMatch(/exit 23\): partial transfer due to error/);
    expect(outcome.message).toMatch(/a rerun sends only what changed/);
  });
});

describe("resume after a failure", () => {
  it("a rerun re-verifies the done steps, skips them, and finishes from the failed one without copying again", async () => {
    const { plan, source, target } = await loadPair(PAIRS.debian.plan, { skipPreUpdate: true });
    const state = simulate(source, target, {
      family: "debian",
      kernel: PAIRS.debian.kernel,
      passBytes: [500, 100, 100],
      failInstallOnce: true,
    });
    const first = await runOvz(plan, { source, target }, "yes");
    expect(exitCodeForRun(first.outcome)).toBe(1);
    expect(first.outcome.message).toMatch(/Reinstall the running kernel.s package: [^]*Connection refused/);
    const passesAfterFirst = state.passes.length;

    const second = await runOvz(plan, { source, target }, "yes", first.stateDir);
    expect(exitCodeForRun(second.outcome)).toBe(0);
    const ended = second.events
      .filter((e) => e.type === "step-end")
      .map((e) => e.type === "step-end" && `${e.stepId}:${e.status}`);
    expect(ended).toEqual([
      "checkpoint-before-update:skipped",
      "pre-update:skipped",
      "release-match:skipped",
      "capture-target:skipped",
      "checkpoint-before-copy:skipped",
      "rsync:skipped",
      "db-freeze:skipped",
      "network-fixup:skipped",
      "kernel-install:done",
      "restore-vm-packages:done",
      "pre-reboot-check:done",
      "reboot-verify:done",
      "cutover:skipped",
      "delete-checkpoints:skipped",
    ]);
    expect(state.passes.length).toBe(passesAfterFirst);
    const journal = (await Journal.read(Journal.pathFor(first.stateDir, plan.name!)))!;
    expect(typeof journal.facts.freezeWindowSec).toBe("number");
  });
});
