import type { Host } from "../../hosts/host.js";
import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, type VerifyCheck } from "../../engine/step.js";
import { cmd, sh, shellQuote } from "../../hosts/quote.js";
import { dirname } from "node:path";
import { sayUndoOutcome, UNDO_KEPT_PREFIX } from "../../engine/undo-outcome.js";
import { findOverlayOfBaseSnippet } from "./backing-users.js";
import { cloneTargets, type CloneOptions } from "../../plan/options/image-clone.js";
import { restoreModeId } from "./base-mode.js";
import { inspectDisk, misnamedImageFinding, unusableDiskFindings } from "./inspect-disk.js";
import { domainsUsing, readDomains } from "./libvirt-users.js";
import { resolvePath } from "../../hosts/resolve-path.js";
import { failureText } from "../../hosts/failure-text.js";
import type { RecordedOverlays } from "./replace-original.js";

/**
 * Overlays are only valid while their base never changes, and the base reads the images below it in its
 * backing chain: writing to any of them changes every clone. Refuse a base a VM is writing now, warn about
 * defined VMs that would write to a file of the chain, and make every file of it read-only (chmod a-w) so a
 * mistake fails loudly. A file below the base may be shared by other chains: they only read it too.
 */
const protectCommand = (file: string): string => cmd("chmod", "a-w", file);

/**
 * The folders where an overlay of the base is looked for: the base's own (where clones go by default, the
 * base's file's too when it is a link), this run's --out-dir, and those of the clones other clone runs journaled
 * on it (found by a new-user trial: a failed run gave the base its mode back under another run's clones in
 * another folder). Clones made since, or by hand, elsewhere are seen by neither the probe nor the undo: the undo
 * of a killed run therefore never gives the mode back (notInALaterRun).
 */
const overlayFolders = (options: CloneOptions, baseFile: string, recordedFolders: readonly string[]): string[] => [
  ...new Set([dirname(options.base), dirname(baseFile), options.outDir, ...recordedFolders]),
];

/**
 * What stands on the base now: something at one of this run's clone paths (its clone, or a file that took the
 * name), else the first image in the overlay folders that backs onto it; null when there is none. Only then may
 * a failed run make the base writable again. The same shell the undo runs, so both judge alike.
 */
async function standingOnBase(
  host: Host,
  options: CloneOptions,
  folders: readonly string[],
  signal: AbortSignal,
): Promise<string | null> {
  const res = await host.exec(`${standingSnippet(options, folders)}; printf '%s' "$standing"`, {
    signal,
    timeoutMs: 120_000,
  });
  if (res.code !== 0) throw new Error(`looking for overlays of ${options.base} failed (${failureText(res)})`);
  return res.stdout === "" ? null : res.stdout;
}

const standingSnippet = (options: CloneOptions, folders: readonly string[]): string =>
  `standing=''; for c in ${cloneTargets(options)
    .map((t) => shellQuote(t.path))
    .join(" ")}; do if test -e "$c" || test -L "$c"; then standing=$c; break; fi; done; ` +
  `if test -z "$standing"; then ${findOverlayOfBaseSnippet(options.base, folders)}; fi`;

/**
 * Gives `file` its mode back unless something stands on the base (standingSnippet): a write to the base, or to
 * a file below it in its chain, would corrupt that clone. Says which way it went, and where it looked (undo-outcome.ts).
 */
const restoreModeCommand = (file: string, mode: number, options: CloneOptions, folders: readonly string[]): string =>
  `${standingSnippet(options, folders)}; if test -n "$standing"; then ` +
  sh`printf ${`${UNDO_KEPT_PREFIX}%s stays read-only: %s stands on %s\n`} ${file} "$standing" ${options.base}; else ` +
  `${cmd("chmod", modeText(mode), "--", file)} && ${sayUndoOutcome(`gave ${file} back its mode ${octal(mode)} (no clone of ${options.base} found in ${folders.join(", ")})`)}; fi`;

/** Said instead of the undo after a killed run: clones another run made since, in another folder, go unseen. */
const leftReadOnlyNote = (file: string, mode: number, base: string): string =>
  `${file} stays read-only: the run that made it so was killed, and a clone made since (by another run, in any ` +
  `folder) may stand on ${base}; once no image backs onto it: ${cmd("chmod", modeText(mode), "--", file)}`;

const modeText = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, "0");

const octal = (mode: number): string => (mode & 0o7777).toString(8);

/** A file of the base's backing chain to make read-only. */
export interface ProtectedFile {
  /** As the chain names it: the base, or an image below it. */
  image: string;
  /** The file it is: itself, or what its symlink points to (chmod follows links; lstat and verify must too). */
  file: string;
  /**
   * Its mode before the step, given back if create-overlays fails; null when an overlay of the run exists
   * already (create-overlays then has nothing to do, and the chain stays read-only under it).
   */
  restoreMode: number | null;
}

export interface ProtectPlan {
  base: string;
  /** The base's file: itself, or what its symlink points to (its folder is looked in for clones too). */
  baseFile?: string;
  /** Where clones of the base are looked for (overlayFolders); absent in journals of older versions. */
  overlayFolders?: string[];
  /** The base and the images below it in its backing chain, as the probe found them (verify checks each). */
  chain: string[];
  /** The files of the chain that still have a write bit, the base first: each is made read-only. */
  files: ProtectedFile[];
}

/**
 * The files of a chain, symlinks followed, with their mode; `skipped` says which are left as they are (not
 * a regular file: a block device, an nbd: export). The base's lstat comes with its inspection.
 */
async function chainFiles(
  host: Host,
  base: { path: string; type?: string; mode?: number },
  below: string[],
): Promise<{ files: Array<{ image: string; file: string; mode: number }>; skipped: string[] }> {
  const files: Array<{ image: string; file: string; mode: number }> = [];
  const skipped: string[] = [];
  for (const [i, image] of [base.path, ...below].entries()) {
    let stat =
      i === 0 ? (base.type === undefined ? null : { type: base.type, mode: base.mode ?? 0 }) : await host.stat(image);
    let file = image;
    // A symlink's own mode is 777: the mode that counts, and the one given back, is its file's (found in review:
    // a linked base failed verification, and the compensation made the file mode 777).
    if (stat?.type === "symlink") {
      file = await resolvePath(host, image);
      stat = await host.stat(file);
    }
    if (stat === null || (i > 0 && stat.type !== "file")) {
      if (i > 0) skipped.push(`${image} is not a regular file: left as it is`);
      continue;
    }
    if (!files.some((f) => f.file === file)) files.push({ image, file, mode: stat.mode });
  }
  return { files, skipped };
}

/** `recordedOverlays`: the clones other clone runs journaled on a disk (cloneRecordsIn(stateDir)); none by default. */
export const protectBaseStepWith = (recordedOverlays: RecordedOverlays = () => Promise.resolve([])) =>
  defineStep<CloneOptions, ProtectPlan>({
    id: "protect-base",
    title: "Check the base image and make its backing chain read-only",
    destructive: false,
    async probe(ctx) {
      const host = ctx.host("local");
      const { base, uri } = ctx.plan;
      const disk = await inspectDisk(host, base, ctx.signal);
      const findings: Finding[] = [];
      if (!disk.exists)
        return {
          satisfied: false,
          plan: { base, chain: [base], files: [] },
          findings: [blocker("Base image not found", `${base} does not exist`)],
        };
      if (disk.error)
        findings.push(blocker("Base is not a readable disk image", `qemu-img cannot open ${base}: ${disk.error}`));
      // An overlay reads its base's whole chain: a broken one fails only at qemu-img create, after the chmod.
      findings.push(...unusableDiskFindings(disk));
      if (disk.info && disk.info.format !== "qcow2" && disk.info.format !== "raw") {
        findings.push(
          blocker(
            "Base format not supported",
            `${base} is ${disk.info.format}; overlays need a qcow2 (or raw) base`,
            `convert it first: qemu-img convert -O qcow2 ${base} BASE.qcow2`,
          ),
        );
      }
      const misnamed = misnamedImageFinding(base, disk.info?.format);
      if (misnamed) findings.push(misnamed);
      if (disk.locked) {
        findings.push(
          blocker(
            "Base image is in use",
            `a QEMU process holds the write lock on ${base} (a running VM, qemu-nbd or qemu-io): overlays of a disk that is still being written would be corrupt`,
            "shut the VM down (virsh shutdown NAME) and run again",
          ),
        );
      }
      const view = await readDomains(host, uri, ctx.signal);
      for (const image of [base, ...disk.below])
        for (const user of domainsUsing(view, [image]).filter((u) => !u.readonly)) {
          findings.push(
            warning(
              "A VM writes to the base",
              `libvirt domain "${user.name}" (${user.state}) has ${image} as a writable disk${image === base ? "" : `, and ${base} reads it (its backing chain)`}: starting it after cloning corrupts every clone`,
              `point ${user.name} at its own overlay, or mark the disk <readonly/>`,
            ),
          );
        }
      const chain = await chainFiles(host, { path: base, type: disk.fileType, mode: disk.fileMode }, disk.below);
      const writable = chain.files.filter((f) => (f.mode & 0o222) !== 0);
      // Overlays already on it (a re-run with a larger --count) read the chain: it stays read-only whatever fails.
      const baseFile = chain.files[0]?.file ?? base;
      // Other runs' journals matter only to the undo, which a chain already read-only does not register.
      const recorded = writable.length > 0 ? await recordedOverlays(base) : [];
      const folders = overlayFolders(
        ctx.plan,
        baseFile,
        recorded.map((path) => dirname(path)),
      );
      const standing = writable.length > 0 ? await standingOnBase(host, ctx.plan, folders, ctx.signal) : null;
      const restorable = writable.length > 0 && standing === null;
      const files = writable.map((f) => ({ image: f.image, file: f.file, restoreMode: restorable ? f.mode : null }));
      const satisfied = chain.files.length > 0 && writable.length === 0;
      const symlinked = chain.files.filter((f) => f.file !== f.image);
      return {
        satisfied,
        reason: satisfied
          ? chain.files.length === 1
            ? "the base is already read-only"
            : `the base and the ${chain.files.length - 1} file(s) below it in its backing chain are already read-only`
          : undefined,
        plan: { base, baseFile, overlayFolders: folders, chain: [base, ...disk.below], files },
        findings,
        details: [
          ...symlinked.map((f) => `${f.image} is a link to ${f.file}`),
          ...chain.skipped,
          ...(standing === null ? [] : [`${standing} stands on the base: it stays read-only whatever fails`]),
        ],
        facts: {
          base,
          ...(disk.below.length > 0 ? { "backing chain": [base, ...disk.below] } : {}),
          format: disk.info?.format,
          virtualSize: disk.info?.["virtual-size"],
          libvirt: view.domains ? `${view.domains.length} domain(s)` : view.why,
        },
      };
    },
    commands: (plan) =>
      plan.files.map((f) => ({
        host: "local",
        command: protectCommand(f.file),
        purpose:
          f.image === plan.base
            ? "no one but root writes to the base by mistake (libvirt's qemu user, other users); root still can: start VMs on the clones only"
            : `${f.image} is below the base in its backing chain: writing to it changes every clone too`,
      })),
    async run(ctx, plan) {
      const host = ctx.host("local");
      for (const f of plan.files) {
        // Registered before the chmod: a later failure (an overlay qemu-img cannot create) must not leave the
        // chain read-only with no overlay on it (found by a new-user trial).
        if (f.restoreMode !== null)
          await ctx.compensations.register({
            id: restoreModeId(f.file),
            title: `give ${f.file} back its mode ${octal(f.restoreMode)} unless a clone of it is in place`,
            host: "local",
            command: restoreModeCommand(
              f.file,
              f.restoreMode,
              ctx.plan,
              plan.overlayFolders ?? overlayFolders(ctx.plan, plan.baseFile ?? plan.base, []),
            ),
            notInALaterRun: leftReadOnlyNote(f.file, f.restoreMode, plan.base),
          });
        const res = await host.exec(protectCommand(f.file), { signal: ctx.signal });
        if (res.code !== 0) throw new Error(`chmod a-w ${f.file} failed (${failureText(res)})`);
      }
    },
    async verify(ctx) {
      const host = ctx.host("local");
      const { base } = ctx.plan;
      // The chain as this run's probe found it; without one (not probed in this run), asked of qemu-img again.
      const chain = ctx.probedPlan(protectBaseStep)?.chain ?? [
        base,
        ...(await inspectDisk(host, base, ctx.signal)).below,
      ];
      const checks: VerifyCheck[] = [];
      for (const [i, image] of chain.entries()) {
        const file = await resolvePath(host, image);
        const stat = await host.stat(file);
        // Only regular files were made read-only (a block device or an nbd: export below the base is left alone).
        if (i > 0 && stat?.type !== "file") continue;
        checks.push({
          // The mode stops every user but root (libvirt runs its VMs as qemu): root, and a VM started as root, still
          // write it (found by a new-user trial: "read-only" read as protection from everything).
          name:
            i === 0 ? "base is read-only (root excepted)" : `${image} (below the base) is read-only (root excepted)`,
          ok: stat !== null && (stat.mode & 0o222) === 0,
          detail: stat ? `mode ${octal(stat.mode)}` : "missing",
        });
      }
      return verifyResult(checks);
    },
  });

/** The step with no journaled clones to look beside (tests, and the id create-overlays reads its plan by). */
export const protectBaseStep = protectBaseStepWith();
