import { acknowledgeable, blocker, warning, type Finding } from "../../engine/finding.js";
import type { OvzBlockerId } from "../../plan/options/openvz-to-kvm.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { cmd } from "../../hosts/quote.js";
import {
  accessCommands,
  accessReady,
  ensureMigrationAccess,
  type AccessEndpoint,
} from "../ssh-access/migration-key.js";
import { diskUsage, gib, RSYNC_PRESENT_COMMAND, DF_COMMAND } from "../host/probes.js";
import { targetFromSource, type OvzPlan } from "./plan.js";
import { sourceSshdFindings } from "../ssh-access/sshd-config.js";
import {
  copyFitFindings,
  fitsInFreeSpace,
  HOW_MEASURED,
  measureAllocated,
  measureTree,
  treeSizeCommand,
} from "../rsync/copy-size.js";
import { describeMount, MOUNTINFO_COMMAND, toRecreate } from "../rsync/mounts.js";
import { isDeletion, parseStats } from "../rsync/progress.js";
import { shouldRunAnotherLivePass } from "../rsync/pass.js";
import { probeRsyncBuilds } from "../rsync/compression.js";
import { rsyncVersionFindings } from "../rsync/version-floor.js";
import { OVZ_FACTS } from "./facts.js";
import { copyLeftRunning } from "./copy-left-running.js";
import {
  cutoverFinishedAt,
  describeCompare,
  dirlinkVerdict,
  copyLayouts,
  noCopyAfterCutover,
  passCommands,
  passPlan,
  syncCommandBuilder,
  syncPass,
  type PassPlan,
} from "./sync.js";

/** Step 4: push / from the source onto the target with live passes until the changes stop shrinking. */
export interface CopyPlan {
  /** Set the migration key up first; null when it is in place already (capture-target made it). */
  access: AccessEndpoint | null;
  pass: PassPlan;
  maxLivePasses: number;
}

/** What the first pass would do, counted by an rsync dry run (the dry-run report's risk summary reads it). */
interface CopyPreview {
  deleteFiles: number;
  sendFiles: number | null;
  sendBytes: number | null;
  totalBytes: number | null;
  measuredWith: string;
}

export const rsyncStep = defineStep<OvzPlan, CopyPlan>({
  id: "rsync",
  title: "Copy the source's root onto the target (live passes)",
  destructive: true,

  async probe(ctx) {
    const findings: Finding[] = [];
    const details: string[] = [];
    const source = ctx.host("source");
    const target = ctx.host("target");
    const roles = ["source", "target"] as const;
    // The trees' sizes are the probe's slowest commands (du over the roots, on sessions of their own): started
    // first, with what the source alone tells, they run beside the checks below instead of after them.
    const { withVmNetwork: layout, tree } = copyLayouts(ctx);
    const sizes = tree.then(async ({ excludes }) => {
      const [sourceDisk, targetDisk, sourceTree] = await Promise.all([
        diskUsage(source, ctx.signal),
        diskUsage(target, ctx.signal),
        measureTree(source, excludes, ctx.signal),
      ]);
      // The target's own files make room only when its free space may not hold the copy: measuring them walks
      // its whole root (on the lab's slow VM, a tenth of a dry run). undefined: not needed; null: du failed.
      const targetAllocated =
        sourceTree && targetDisk && !fitsInFreeSpace(sourceTree, targetDisk.freeBytes)
          ? await measureAllocated(target, excludes, ctx.signal)
          : undefined;
      return [sourceDisk, targetDisk, sourceTree, targetAllocated] as const;
    });
    // Both ends' rsync builds (for compression) need nothing else either: asked now, not after the sizes.
    const builds = probeRsyncBuilds(source, target, ctx.signal);
    // awaited below; a check that throws first must leave no rejection unhandled
    for (const later of [layout, sizes, builds]) later.catch(() => undefined);
    const present = await Promise.all(
      roles.map((role) => ctx.host(role).exec(RSYNC_PRESENT_COMMAND, { signal: ctx.signal })),
    );
    for (const [i, role] of roles.entries()) {
      if (present[i]!.code !== 0)
        findings.push(
          blocker(
            "rsync missing",
            `rsync is not installed on the ${role}`,
            role === "source"
              ? "install rsync on the source (yum/dnf/apt-get install rsync)"
              : "install rsync on the target",
            role,
          ),
        );
    }
    findings.push(...rsyncVersionFindings(await builds));
    // --delete removes what the source lacks: without sshd in the source's userland the VM is unreachable.
    if (!(await source.stat("/usr/sbin/sshd")) && !(await source.stat("/sbin/sshd"))) {
      findings.push(
        acknowledgeable(
          "source-sshd-missing" satisfies OvzBlockerId,
          blocker(
            "sshd missing on the source",
            "the source has no /usr/sbin/sshd: after the copy the VM would run no SSH server and the tool could not reach it again",
            "install openssh-server on the source first",
            "source",
          ),
        ),
      );
    }
    const cutoverAt = cutoverFinishedAt(ctx);
    if (cutoverAt)
      findings.push(
        blocker(
          "Cutover already done",
          noCopyAfterCutover(cutoverAt),
          "to copy again, start a new migration (another plan name) onto a freshly installed target",
          "target",
        ),
      );
    // The copy brings the source's /etc/passwd, shadow, sudoers and /home: a non-root login on the target
    // (and its sudo rights) may be gone after the first pass; root's authorized_keys is never replaced.
    if (ctx.plan.target.transport === "ssh" && ctx.plan.target.user !== "root") {
      findings.push(
        blocker(
          "Target reached as a non-root user",
          `the plan logs in to the target as ${ctx.plan.target.user}; the copy replaces /etc/passwd, /etc/shadow, sudoers and /home with the source's, so that login and its sudo rights may not survive the first pass and the tool (and a resumed run) would be locked out`,
          "set target.user: root in the plan (root's authorized_keys is the one login file the copy never replaces) and allow root key logins on the target (PermitRootLogin prohibit-password)",
          "target",
        ),
      );
    }
    // Only for a real SSH target: the reboot check reconnects as root on the plan's port.
    if (ctx.plan.target.transport === "ssh") findings.push(...(await sourceSshdFindings(source, ctx.plan.target.port)));
    const verdict = await dirlinkVerdict(ctx);
    details.push(
      `top-level links: ${verdict.summary}${verdict.keepDirlinks ? " (rsync keeps the target's directory links: --keep-dirlinks)" : ""}`,
    );
    if (verdict.block) findings.push(blocker("/bin /sbin /lib /lib64 linked differently", verdict.block));

    const { excludes, mounts } = await layout;
    const recreate = toRecreate(mounts ?? []);
    if (mounts === null)
      details.push(
        `mounts inside the source: could not read them (${MOUNTINFO_COMMAND}); a bind or network mount would be copied into the VM's root`,
      );
    else if (mounts.length > 0)
      details.push(`mounts inside the source, excluded from the copy: ${mounts.map(describeMount).join("; ")}`);
    if (recreate.length > 0)
      findings.push(
        warning(
          "Filesystems mounted in the source are not copied",
          `${recreate.length} filesystem(s) mounted inside the source stay out of the VM's root disk: ${recreate.map(describeMount).join("; ")}`,
          "recreate each mount on the VM (an fstab line or the unit that mounted it), and copy its data where it belongs if the VM cannot reach it",
          "source",
        ),
      );
    // What the copy moves, measured on the trees: a container's df may show its node's disk. The target's tree
    // counts only beside the source's, only its allocated bytes, and only when its free space is not enough.
    const [sourceDisk, targetDisk, sourceTree, targetAllocated] = await sizes;
    if (sourceTree && targetAllocated !== null && targetDisk) {
      const fit = copyFitFindings(sourceTree, targetDisk.freeBytes, targetAllocated);
      details.push(fit.detail);
      findings.push(...fit.findings);
    } else if (sourceDisk && targetDisk) {
      details.push(
        `disk: could not measure the trees (${treeSizeCommand(excludes)}); df says the source uses ${gib(sourceDisk.usedBytes)}, the target has ${gib(targetDisk.freeBytes)} free of ${gib(targetDisk.sizeBytes)}`,
      );
      // df inside a container may count the node's whole disk: a figure to check, not a blocker.
      if (sourceDisk.usedBytes > targetDisk.sizeBytes * 0.9)
        findings.push(
          warning(
            "Target disk may be too small",
            `df on the source reports ${gib(sourceDisk.usedBytes)} used (in a container sharing its node's filesystem that is the node's disk); the target's root is ${gib(targetDisk.sizeBytes)}`,
            `measure the tree on the source (${treeSizeCommand(excludes)}) and grow the target's disk if it does not fit`,
            "target",
          ),
        );
    } else details.push(`disk: could not read df on ${sourceDisk ? "the target" : "the source"} (${DF_COMMAND})`);

    // Each exclude with its reason is the report's "Not copied" table (the excludes fact): not listed again here.
    details.push(`${excludes.length} excludes, each kept as it is on the target`);
    const t = targetFromSource(ctx.plan);
    details.push(
      `the source pushes to root@${t.address}:${t.port} with a key made for this migration (removed after the final pass)`,
    );
    details.push(
      "the copy replaces the target's SSH host keys with the source's (clients' known_hosts stay valid): the tool reconnects to the target pinned to the source's fingerprints, recorded in the journal as targetAcceptHostKeys",
    );
    details.push(
      "root's authorized_keys on the target is never replaced (a pass cut short cannot lock the tool out): the source's keys are added to it after each pass",
    );
    details.push(
      "the target then runs the source's sshd_config (port, PermitRootLogin): the tool reconnects with the plan's target address and port, so they must match",
    );

    let estimatedTransferBytes = sourceTree?.apparentBytes ?? sourceDisk?.usedBytes;
    const ready = await accessReady(source);
    // Only where the migration key is (the lock is in its folder): an rsync a killed run left copying.
    const leftRunning = ready ? await copyLeftRunning(source, ctx.signal) : undefined;
    if (leftRunning) findings.push(leftRunning);
    const command = await syncCommandBuilder(ctx, layout);
    const plan: CopyPlan = {
      access: ready ? null : t,
      pass: await passPlan(ctx, command, builds),
      maxLivePasses: ctx.plan.options.maxLivePasses,
    };
    details.push(plan.pass.compression.summary, plan.pass.timePrecision.summary);
    if (plan.pass.compression.uncompressed)
      findings.push(
        warning(
          "Copy without compression",
          `${plan.pass.compression.summary}. The zeros of sparse and preallocated files (database files, disk images) cross the link in full`,
          `check that \`rsync --version\` runs on both hosts; rsync 3.2 or later with zstd on both compresses best`,
        ),
      );
    if (plan.pass.compare === "checksum")
      details.push(
        "until one pass has completed, rsync compares the content of files on both sides (--checksum): the target's files are the fresh VM's, whose size and mtime may match the source's by chance; later passes trust size and mtime. The first pass's time is in the journal with its mode",
      );
    let copyPreview: CopyPreview | undefined;
    if (ready && findings.every((f) => !f.blocks)) {
      // The key exists: measure what the first pass would do (read-only: --dry-run).
      // One itemized line per changed file: counted as they come, only the --stats tail kept.
      let deletions = 0;
      const dry = await source.exec(command({ dryRun: true }), {
        signal: ctx.signal,
        timeoutMs: 3600_000,
        stdoutTailChars: 64 * 1024,
        onStdout: (line) => void (isDeletion(line) && deletions++),
      });
      if (dry.code === 0 || dry.code === 24) {
        const stats = parseStats(dry.stdout);
        details.push(`would delete ${deletions} file(s) on the target that the source does not have`);
        details.push(
          `would send ${stats.regularFilesTransferred ?? "?"} changed file(s), ${gib(stats.transferredFileSize ?? 0)} of ${gib(stats.totalFileSize ?? 0)}${leftRunning ? " (counted while the rsync an earlier run left still copies: fewer by the time the run stops it)" : ""}`,
        );
        estimatedTransferBytes = stats.transferredFileSize ?? estimatedTransferBytes;
        copyPreview = {
          deleteFiles: deletions,
          sendFiles: stats.regularFilesTransferred ?? null,
          sendBytes: stats.transferredFileSize ?? null,
          totalBytes: stats.totalFileSize ?? null,
          measuredWith: "rsync --dry-run --itemize-changes of the first pass",
        };
      } else
        details.push(
          `a dry run of the copy failed (exit ${dry.code}): ${dry.stderr.trim().split("\n").slice(-2).join(" ")}`,
        );
    } else
      details.push(
        `files the copy would delete on the target are counted at the gate, once the migration key is in place; until then the risk summary bounds them by the target's used space (df)`,
      );
    return {
      satisfied: false,
      plan,
      findings,
      details,
      facts: {
        excludes,
        ...(recreate.length > 0 ? { sourceMountsToRecreate: recreate } : {}),
        keepDirlinks: verdict.keepDirlinks,
        sourceDisk,
        targetDisk,
        ...(sourceTree ? { copySize: { ...sourceTree, measuredWith: HOW_MEASURED } } : {}),
        ...(typeof targetAllocated === "number"
          ? {
              targetReplaced: {
                allocatedBytes: targetAllocated,
                measuredWith: HOW_MEASURED.replace("over /", "over the target's /"),
              },
            }
          : {}),
        ...(copyPreview ? { copyPreview } : {}),
        estimatedTransferBytes,
      },
    };
  },

  commands: (plan) => [
    ...(plan.access ? accessCommands(plan.access) : []),
    ...passCommands(
      plan.pass,
      `live passes (at most ${plan.maxLivePasses}, until the changed data stops shrinking); exit 24 tolerated; each marks when it began (the final pass then copies only what changed after)`,
      { live: true },
    ),
  ],

  async run(ctx, plan) {
    if (plan.access) await ensureMigrationAccess(ctx, plan.access);
    const sizes: number[] = [];
    do {
      const record = await syncPass(ctx, "live", plan.pass);
      sizes.push(record.transferredBytes);
      ctx.output(
        "source",
        `live pass ${record.pass}: ${gib(record.transferredBytes)} changed, ${record.deletedFiles} deleted, ${record.seconds} s, ${describeCompare(record.compare)}${record.vanished ? " (files vanished: exit 24)" : ""}`,
      );
    } while (shouldRunAnotherLivePass(sizes, plan.maxLivePasses));
    const fps = ctx.facts.get(OVZ_FACTS.sourceHostKeyFingerprints) ?? [];
    await ctx.facts.set(OVZ_FACTS.targetAcceptHostKeys, fps);
  },

  async verify(ctx) {
    const passes = ctx.facts.get(OVZ_FACTS.syncPasses) ?? [];
    const live = passes.filter((p) => p.kind === "live");
    // The copy's fingerprint: the source's machine-id (or hostname, for a container without one) on the target.
    const marker = (await ctx.host("source").stat("/etc/machine-id")) ? "/etc/machine-id" : "/etc/hostname";
    const sourceId = await ctx.host("source").exec(cmd("cat", marker), { signal: ctx.signal });
    const targetId = await ctx.host("target").exec(cmd("cat", marker), { signal: ctx.signal });
    return verifyResult([
      {
        name: "a live pass completed",
        ok: live.length > 0,
        detail:
          live
            .map(
              (p) =>
                `pass ${p.pass}: exit ${p.code}, ${p.transferredBytes} bytes, ${p.seconds} s, ${describeCompare(p.compare)}`,
            )
            .join("; ") || "none recorded",
      },
      {
        name: `the target carries the source's ${marker}`,
        ok: sourceId.code === 0 && sourceId.stdout.trim() !== "" && sourceId.stdout.trim() === targetId.stdout.trim(),
        detail: `${sourceId.stdout.trim()} / ${targetId.stdout.trim()}`,
      },
      {
        name: "the source's host key fingerprints are recorded",
        ok: (ctx.facts.get(OVZ_FACTS.targetAcceptHostKeys) ?? []).length > 0,
      },
    ]);
  },
});
