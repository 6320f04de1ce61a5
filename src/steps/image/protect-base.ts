import type { Host } from "../../hosts/host.js";
import { blocker, warning, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult } from "../../engine/step.js";
import { cmd } from "../../hosts/quote.js";
import { cloneTargets, type CloneOptions } from "../../plan/options/image-clone.js";
import { RESTORE_BASE_MODE } from "./base-mode.js";
import { inspectDisk, misnamedImageFinding, unusableDiskFindings } from "./inspect-disk.js";
import { domainsUsing, readDomains } from "./libvirt-users.js";
import { resolvePath } from "../../vserver/paths.js";

/**
 * Overlays are only valid while their base never changes: refuse a base a VM is writing now, warn about
 * defined VMs that would write to it, and make it read-only (chmod a-w) so a mistake fails loudly.
 */
const protectCommand = (base: string): string => cmd("chmod", "a-w", base);

/** No overlay of this run exists yet: only then may a failed run make the base writable again. */
async function noCloneYet(host: Host, options: CloneOptions): Promise<boolean> {
  for (const t of cloneTargets(options)) if (await host.stat(t.path)) return false;
  return true;
}

const restoreModeCommand = (base: string, mode: number): string =>
  cmd("chmod", (mode & 0o7777).toString(8).padStart(4, "0"), "--", base);

export interface ProtectPlan {
  base: string;
  /** The file the base is: itself, or what its symlink points to (chmod follows links; lstat and verify must too). */
  file: string;
  protect: boolean;
  /**
   * The base's mode before the step, given back if create-overlays fails; null when every overlay exists
   * already (create-overlays then has nothing to do, and the base stays read-only under them).
   */
  restoreMode: number | null;
}

export const protectBaseStep = defineStep<CloneOptions, ProtectPlan>({
  id: "protect-base",
  title: "Check the base image and make it read-only",
  destructive: false,
  async probe(ctx) {
    const host = ctx.host("local");
    const { base, uri } = ctx.plan;
    const disk = await inspectDisk(host, base, ctx.signal);
    const findings: Finding[] = [];
    if (!disk.exists)
      return {
        satisfied: false,
        plan: { base, file: base, protect: false, restoreMode: null },
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
    for (const user of domainsUsing(view, [base]).filter((u) => !u.readonly)) {
      findings.push(
        warning(
          "A VM writes to the base",
          `libvirt domain "${user.name}" (${user.state}) has ${base} as a writable disk: starting it after cloning corrupts every clone`,
          `point ${user.name} at its own overlay, or mark the disk <readonly/>`,
        ),
      );
    }
    // A symlink's own mode is 777: the mode that counts, and the one given back, is its file's (found in review:
    // a linked base failed verification, and the compensation made the file mode 777).
    const file = disk.fileType === "symlink" ? await resolvePath(host, base) : base;
    const mode = file === base ? disk.fileMode : (await host.stat(file))?.mode;
    const readOnly = mode !== undefined && (mode & 0o222) === 0;
    // Overlays already on it (a re-run with a larger --count) read from the base: it stays read-only whatever fails.
    const restoreMode = mode !== undefined && !readOnly && (await noCloneYet(host, ctx.plan)) ? mode : null;
    return {
      satisfied: readOnly,
      reason: readOnly ? "the base is already read-only" : undefined,
      plan: { base, file, protect: !readOnly, restoreMode },
      findings,
      facts: {
        base,
        ...(file === base ? {} : { file }),
        format: disk.info?.format,
        virtualSize: disk.info?.["virtual-size"],
        libvirt: view.domains ? `${view.domains.length} domain(s)` : view.why,
      },
    };
  },
  commands: (plan) =>
    plan.protect
      ? [{ host: "local", command: protectCommand(plan.file), purpose: "no one writes to the base by mistake" }]
      : [],
  async run(ctx, plan) {
    if (!plan.protect) return;
    // Registered before the chmod: a later failure (an overlay qemu-img cannot create) must not leave the
    // base read-only with no overlay on it (found by a new-user trial).
    if (plan.restoreMode !== null)
      await ctx.compensations.register({
        id: RESTORE_BASE_MODE,
        title: `give ${plan.file} back its mode ${(plan.restoreMode & 0o7777).toString(8)} (the run made no overlay on it)`,
        host: "local",
        command: restoreModeCommand(plan.file, plan.restoreMode),
      });
    const res = await ctx.host("local").exec(protectCommand(plan.file), { signal: ctx.signal });
    if (res.code !== 0) throw new Error(`chmod a-w ${plan.file} failed: ${res.stderr.trim()}`);
  },
  async verify(ctx) {
    const host = ctx.host("local");
    const stat = await host.stat(await resolvePath(host, ctx.plan.base));
    return verifyResult([
      {
        name: "base is read-only",
        ok: stat !== null && (stat.mode & 0o222) === 0,
        detail: stat ? `mode ${stat.mode.toString(8)}` : "missing",
      },
    ]);
  },
});
