import { dirname } from "node:path";
import { blocker, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { cmd } from "../../hosts/quote.js";
import { formatBytes } from "../../render/format.js";
import { imageCheckClean, parseImageCheck } from "../../kvm/qemu-img-info.js";
import type { SparsifyOptions } from "../../plan/options/image-sparsify.js";
import { SPARSIFY_FACTS } from "./facts.js";
import { DELETIONS_FACT, type Deletion } from "../../engine/deletions.js";
import { imagesBackingOnto } from "./backing-users.js";
import { diskInUseFindings, movedUnrecorded, type DiskFindings } from "./sparsify.js";
import { copyIdentity, DISK_CHANGED_EXIT, diskIdentity, sameDiskTest } from "./disk-identity.js";
import { failureText } from "../../hosts/failure-text.js";
import { ResumeRepeatsFailureError } from "../../errors.js";

/** A disk with no write bit is marked as a base: `image clone` leaves it so, and `--replace` respects that. */
function readOnlyBaseFinding(
  o: SparsifyOptions,
  disk: Pick<DiskFindings, "fileType" | "fileMode">,
): Finding | undefined {
  const mode = disk.fileMode;
  if (disk.fileType !== "file" || mode === undefined || (mode & 0o222) !== 0) return undefined;
  return blocker(
    "The disk is read-only: the base of overlays",
    `${o.disk} has no write bit (mode ${(mode & 0o7777).toString(8)}), as image clone leaves the base of its overlays: overlays read from their base every cluster they have not written, and those in other folders cannot all be found, so replacing it could corrupt them silently`,
    `keep the sparsified copy beside it instead (drop --replace; --out FILE names it); make it writable (${cmd("chmod", "u+w", o.disk)}) only if you know no overlay uses it`,
  );
}

/**
 * `mv -f COPY LINK` would put the copy in place of the link and leave the file it pointed to where it was (and
 * its write bits, the mark of a base, unseen: lstat reads the link's 777): the file itself must be named.
 */
function linkedDiskFinding(o: SparsifyOptions, disk: Pick<DiskFindings, "fileType">): Finding | undefined {
  if (disk.fileType !== "symlink") return undefined;
  return blocker(
    "The disk is a symbolic link",
    `${o.disk} is a link: --replace would put the copy in place of the link and leave the file it points to as it is`,
    `run again with the file itself (${cmd("readlink", "-f", o.disk)} prints it), or drop --replace`,
  );
}

const replaceCommand = (o: ReplacePlan): string =>
  `${sameDiskTest(o.disk, o.identity)} && ${cmd("chown", `--reference=${o.disk}`, "--", o.out)} && ${cmd("chmod", `--reference=${o.disk}`, "--", o.out)} && ${cmd("mv", "-f", "--", o.out, o.disk)}`;

/**
 * The overlays mudanza's own clone runs recorded on `disk` (their journals in the state dir): where else
 * to look for overlays than the disk's folder.
 */
export type RecordedOverlays = (disk: string) => Promise<string[]>;

/** --replace: the verified copy takes the original's place (owner and mode kept); the original is gone after this. */
export interface ReplacePlan {
  disk: string;
  out: string;
  /** The disk as virt-sparsify read it (before it ran: as it is now): the swap happens only if it still is. */
  identity: string;
}

/** What to do with a copy of a disk that changed since: the blocker's fix and the run's error say the same. */
const keepOrSparsifyAgain = (out: string): string =>
  `keep ${out} as a backup of the disk as it was, or remove it (${cmd("rm", "--", out)}) and run the same command again with --restart to sparsify the disk as it is now`;

/**
 * A disk written after virt-sparsify read it (a VM started meanwhile, a write by hand while the gate waited,
 * a resumed run days later): the copy lacks those writes, and replacing the disk would lose them (found by
 * a new-user trial). An older journal that did not record the disk cannot tell, so it blocks too.
 */
function changedDiskFinding(
  o: SparsifyOptions,
  readAs: string | null | undefined,
  now: string | undefined,
  sparsified: boolean,
): Finding | undefined {
  const fix = keepOrSparsifyAgain(o.out);
  if (sparsified && !readAs)
    return blocker(
      "Which disk was sparsified is not recorded",
      `this run's journal does not say what ${o.disk} was when virt-sparsify read it (an older version of mudanza wrote it), so a change since cannot be ruled out`,
      fix,
    );
  if (!readAs || now === readAs) return undefined;
  return blocker(
    "The disk changed after it was sparsified",
    `${o.disk} is not as virt-sparsify read it (then: ${readAs}; now: ${now ?? "unreadable"}): ${o.out} lacks what was written since, and replacing the disk with it would lose that`,
    fix,
  );
}

export const replaceOriginalStep = (recordedOverlays: RecordedOverlays = () => Promise.resolve([])) =>
  defineStep<SparsifyOptions, ReplacePlan>({
    id: "replace-original",
    title: "Replace the original disk with the verified copy",
    destructive: true,
    skip: (ctx) => (ctx.plan.replace ? undefined : "the original stays (pass --replace to swap it for the copy)"),
    async probe(ctx) {
      const o = ctx.plan;
      const readAs = ctx.facts.get(SPARSIFY_FACTS.diskReadAs);
      if (ctx.facts.get(SPARSIFY_FACTS.replaced) || (await movedUnrecorded(ctx)))
        return {
          satisfied: true,
          reason: ctx.facts.get(SPARSIFY_FACTS.replaced)
            ? `${o.disk} is already the sparsified copy`
            : `${o.disk} is already the sparsified copy (moved there by a run stopped before it recorded that)`,
          plan: { disk: o.disk, out: o.out, identity: readAs ?? "" },
          findings: [],
        };
      const now = await diskIdentity(ctx.host("local"), o.disk, ctx.signal);
      const disk = await diskInUseFindings(ctx);
      const { findings, format } = disk;
      if (format && format !== "qcow2") {
        // Whatever points at this path (libvirt's <driver type='raw'/>, a QEMU command line) would read qcow2 as raw.
        findings.push(
          blocker(
            "Replacing would change the disk's format",
            `${o.disk} is ${format} and the sparsified copy is qcow2: its VM's config still says ${format}`,
            `keep the copy (drop --replace), then point the VM at ${o.out} with driver type qcow2`,
          ),
        );
      }
      // Sparsifying mounts the disk's filesystems: the copy may differ from the original beyond its free
      // space (a journal replayed, metadata rewritten), and an overlay reads from its base what it never wrote.
      // Also the folders clone runs wrote overlays of this disk to (found by a new-user trial: --out-dir sub2).
      const elsewhere = (await recordedOverlays(o.disk)).map((path) => dirname(path));
      const overlays = await imagesBackingOnto(ctx.host("local"), o.disk, ctx.signal, elsewhere);
      if (overlays.length > 0)
        findings.push(
          blocker(
            "Other images back onto this disk",
            `${overlays.length} image(s) read from ${o.disk} every cluster they have not written themselves (${overlays.join(", ")}): replaced by the sparsified copy, they would read a filesystem that may differ from the one they were made on`,
            `keep the copy beside the original (drop --replace); to shrink an overlay, sparsify the overlay itself (its copy is standalone)`,
          ),
        );
      // The same-folder scan cannot see overlays elsewhere (`image clone --out-dir`, another machine over NFS);
      // a base without a write bit is what clone leaves, and `mv -f` would go past it (found by a new-user trial).
      const readOnly = readOnlyBaseFinding(o, disk);
      if (readOnly) findings.push(readOnly);
      const linked = linkedDiskFinding(o, disk);
      if (linked) findings.push(linked);
      const changed = changedDiskFinding(o, readAs, now, ctx.facts.get(SPARSIFY_FACTS.done) === true);
      if (changed) findings.push(changed);
      const before = ctx.facts.get(SPARSIFY_FACTS.allocatedBefore);
      const after = ctx.facts.get(SPARSIFY_FACTS.allocatedAfter);
      const plan = { disk: o.disk, out: o.out, identity: readAs ?? now ?? "" };
      // The dry run's risk lists what is deleted: here the original itself (new-user trial 12).
      const deletes: Deletion[] = [
        {
          host: "local machine",
          what: `the original disk ${o.disk}, replaced by the sparsified copy ${o.out}`,
          commands: [replaceCommand(plan)],
        },
      ];
      return {
        satisfied: false,
        plan,
        facts: { [DELETIONS_FACT]: deletes },
        findings,
        details: [
          `${o.disk} is deleted and replaced by ${o.out}${before && after ? ` (${formatBytes(before)} → ${formatBytes(after)})` : ""}`,
          "runs only after the copy passed qemu-img check and its filesystems mounted read-only",
          "and only if the disk is still as virt-sparsify read it (device, inode, size, change times)",
        ],
      };
    },
    commands: (plan) => [
      {
        host: "local",
        command: replaceCommand(plan),
        purpose: "same owner and mode as the original, then take its place",
      },
    ],
    async run(ctx, plan) {
      const host = ctx.host("local");
      if (!(await host.stat(plan.out)))
        throw new Error(`${plan.out} is missing: nothing to put in place of ${plan.disk}`);
      // Journaled before the `mv`: if this run is killed after it, the next one knows the disk is the copy.
      await ctx.facts.set(SPARSIFY_FACTS.copyMovedAs, (await copyIdentity(host, plan.out, ctx.signal)) ?? null);
      const res = await host.exec(replaceCommand(plan), { signal: ctx.signal });
      // The disk stays changed: a resumed run blocks on it, so the end of the run says to start over.
      if (res.code === DISK_CHANGED_EXIT)
        throw new ResumeRepeatsFailureError(
          `${plan.disk} changed since virt-sparsify read it (written after the check): it was not replaced, and ${plan.out} lacks what was written: ${keepOrSparsifyAgain(plan.out)}`,
        );
      if (res.code !== 0) throw new Error(`replacing ${plan.disk} failed (${failureText(res)})`);
      await ctx.facts.set(SPARSIFY_FACTS.replaced, true);
    },
    async verify(ctx) {
      const host = ctx.host("local");
      // The swap a killed run made: recorded now, so the summary and a later run see the disk as the copy.
      if (await movedUnrecorded(ctx)) await ctx.facts.set(SPARSIFY_FACTS.replaced, true);
      const check = await host.exec(cmd("qemu-img", "check", "--output=json", ctx.plan.disk), { signal: ctx.signal });
      let clean = false;
      try {
        clean = check.code === 0 && imageCheckClean(parseImageCheck(check.stdout));
      } catch {
        clean = false;
      }
      const outGone = !(await host.stat(ctx.plan.out));
      return verifyResult([
        { name: `${ctx.plan.disk} passes qemu-img check`, ok: clean },
        { name: "the copy was moved, not duplicated", ok: outGone },
      ]);
    },
  });
