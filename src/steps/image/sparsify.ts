import { homedir } from "node:os";
import { dirname } from "node:path";
import { blocker, type Finding } from "../../engine/finding.js";
import { errorMessage, StateDirWriteError } from "../../errors.js";
import { defineStep, verifyResult, type StepContext, type VerifyCheck, type VerifyResult } from "../../engine/step.js";
import { failureText } from "../../hosts/failure-text.js";
import type { Host } from "../../hosts/host.js";
import { cmd, raw, sh } from "../../hosts/quote.js";
import { formatSilence, SILENCE_LIMIT_ENV, silenceLimitMs } from "../../hosts/watchdog.js";
import { formatBytes } from "../../render/format.js";
import { imageCheckClean, parseImageCheck } from "../../kvm/qemu-img-info.js";
import { effectiveTmpdir, type SparsifyOptions } from "../../plan/options/image-sparsify.js";
import { kvmCheckNote, kvmSmokeTest } from "../host-doctor/kvm-smoke.js";
import { SPARSIFY_FACTS } from "./facts.js";
import { copyIdentity, diskIdentity } from "./disk-identity.js";
import { guestfsEnv, listGuestFilesystems } from "./guest-filesystems.js";
import { backingFileOf } from "./chain-path.js";
import { allocatedBytes, inspectDisk, misnamedImageFinding, unusableDiskFindings } from "./inspect-disk.js";
import { dirWithRoom, freeSpace } from "./free-space.js";
import { domainsUsing, readDomains } from "./libvirt-users.js";
import { leftoverNote, makeOwnTmpdirCommand, ownTmpdir, removeOwnTmpdirCommand, withOwnTmpdir } from "./own-tmpdir.js";

type Ctx = StepContext<SparsifyOptions>;
export const partialPath = (o: SparsifyOptions): string => `${o.out}.partial`;
/** Where the verified sparsified image lives now: the output, or the disk itself once --replace moved it. */
export const sparsifiedPath = async (ctx: Ctx): Promise<string> =>
  ctx.facts.get(SPARSIFY_FACTS.replaced) || (await movedUnrecorded(ctx)) ? ctx.plan.disk : ctx.plan.out;

/**
 * --replace's `mv` happened but the journal does not say so (the run was killed between them): the copy is
 * gone and the disk is the copy as it was about to be moved (found by new-user trial 8: the resume blocked
 * on "the disk changed" and offered to sparsify the replaced disk again).
 */
export async function movedUnrecorded(ctx: Ctx): Promise<boolean> {
  const copy = ctx.facts.get(SPARSIFY_FACTS.copyMovedAs);
  if (!copy || ctx.facts.get(SPARSIFY_FACTS.replaced)) return false;
  const host = ctx.host("local");
  if (await host.stat(ctx.plan.out)) return false;
  return (await copyIdentity(host, ctx.plan.disk, ctx.signal)) === copy;
}
const renameCommand = (o: SparsifyOptions): string => cmd("mv", "--", partialPath(o), o.out);

export function sparsifyCommand(o: SparsifyOptions, accel: "kvm" | "tcg"): string {
  const tmp = ownTmpdir(o);
  return `${guestfsEnv(accel, tmp)} ${sh`virt-sparsify --machine-readable --compress --convert qcow2 --tmp ${tmp} ${raw("--")} ${o.disk} ${partialPath(o)}`}`;
}

/**
 * How long virt-sparsify may print nothing while its output does not grow either. Its silent phases are
 * the appliance build and boot (longest gap measured: 39 s, cold cache, TCG, load 14 on 2 cores) and
 * qemu-img convert (no progress output: the growing output file is the progress). A guest stuck under a
 * broken KVM stays silent forever: this stops it.
 */
export const SPARSIFY_SILENCE_MS = 10 * 60_000;

/** For the watchdog: true when `path` grew since the previous call. */
function fileGrows(host: Host, path: string): () => Promise<boolean> {
  let last = -1;
  return async () => {
    const size = (await host.stat(path))?.size ?? -1;
    const grew = size > last;
    last = size;
    return grew && size >= 0;
  };
}

/** Runs virt-sparsify into OUT.partial, its progress shown, stopped by the silence watchdog if it hangs. */
async function runVirtSparsify(ctx: Ctx, o: SparsifyOptions, accel: "kvm" | "tcg"): Promise<void> {
  const host = ctx.host("local");
  let phase = "starting";
  const silenceMs = silenceLimitMs(SPARSIFY_SILENCE_MS);
  const res = await host.exec(sparsifyCommand(o, accel), {
    signal: ctx.signal,
    silenceTimeoutMs: silenceMs,
    stillBusy: fileGrows(host, partialPath(o)),
    onStdout: (line) => {
      const progress = /^(\d+)\/(\d+)$/.exec(line.trim());
      if (progress) {
        const total = Number(progress[2]);
        ctx.progress({
          bytesDone: 0,
          percent: total > 0 ? Math.min(100, Math.round((Number(progress[1]) / total) * 100)) : undefined,
          label: phase,
        });
        return;
      }
      if (line.trim().startsWith("{")) {
        try {
          const message = (JSON.parse(line) as { message?: unknown }).message;
          if (typeof message === "string") phase = message;
        } catch {
          /* not JSON after all: shown below */
        }
        return;
      }
      if (line.trim()) ctx.output("local", line);
    },
    onStderr: (line) => ctx.output("local", line, "stderr"),
  });
  if (res.silentMs !== undefined) {
    throw new Error(
      `virt-sparsify printed nothing and ${partialPath(o)} did not grow for ${formatSilence(res.silentMs)} (last phase: ${phase}); it was stopped with its QEMU by the silence watchdog. If this machine is that slow, allow longer with ${SILENCE_LIMIT_ENV}=SECONDS`,
    );
  }
  if (res.code !== 0) throw new Error(`virt-sparsify failed (${failureText(res, 3)})`);
}

/** What the probes of sparsify and replace read about the disk, and what blocks them. */
export interface DiskFindings {
  findings: Finding[];
  virtualSize: number;
  actualSize: number;
  format?: string;
  backingFile?: string;
  /**
   * What the images below an overlay hold on the host's disks (qemu-img's actual-size of each):
   * virt-sparsify reads through the whole chain, so its copy may hold all of it.
   */
  belowBytes: number;
  /** The backing chain does not open: no size below it is known. */
  chainBroken: boolean;
  /** What the libvirt check for VMs running the disk found, or why it could not run: the report says it. */
  libvirt: string;
  /** The disk's lstat type and mode, as inspected (absent when it does not exist): replace reads its write bits. */
  fileType?: string;
  fileMode?: number;
}

/**
 * Probe findings shared by sparsify and replace: the disk must exist, be an image whose backing chain opens,
 * and be used by no running VM.
 */
export async function diskInUseFindings(ctx: Ctx): Promise<DiskFindings> {
  const host = ctx.host("local");
  const { disk, uri } = ctx.plan;
  const state = await inspectDisk(host, disk, ctx.signal);
  if (!state.exists)
    return {
      findings: [blocker("Disk not found", `${disk} does not exist`)],
      virtualSize: 0,
      actualSize: 0,
      belowBytes: 0,
      chainBroken: false,
      libvirt: "not checked: the disk does not exist",
    };
  const findings: Finding[] = [];
  if (state.error) findings.push(blocker("Not a readable disk image", `qemu-img cannot open ${disk}: ${state.error}`));
  findings.push(...unusableDiskFindings(state));
  const misnamed = misnamedImageFinding(disk, state.info?.format);
  if (misnamed) findings.push(misnamed);
  if (state.locked)
    findings.push(
      blocker(
        "Disk in use",
        `a QEMU process holds the write lock on ${disk} (a running VM, qemu-nbd or qemu-io); sparsifying a live disk corrupts the copy`,
        "shut the VM down first (virsh shutdown NAME)",
      ),
    );
  const view = await readDomains(host, uri, ctx.signal);
  for (const user of domainsUsing(view, [disk]).filter((u) => u.state === "running" || u.state === "paused")) {
    findings.push(
      blocker(
        "Disk belongs to a running VM",
        `libvirt domain "${user.name}" is ${user.state} with ${disk} attached`,
        `virsh shutdown ${user.name}`,
      ),
    );
  }
  return {
    findings,
    virtualSize: state.info?.["virtual-size"] ?? 0,
    actualSize: state.info?.["actual-size"] ?? 0,
    format: state.info?.format,
    backingFile: backingFileOf(state.info),
    belowBytes: state.belowBytes,
    chainBroken: state.chainError !== undefined,
    fileType: state.fileType,
    fileMode: state.fileMode,
    // Said, not silent (found by a new-user trial): a running VM is then seen only by its write lock.
    libvirt: view.domains
      ? `${view.domains.length} domain(s) checked for this disk`
      : `the VM check could not run (${view.why ?? "no answer"}): a running VM is found only by its write lock on ${disk}`,
  };
}

/** virt-sparsify --compress into OUT.partial, renamed to OUT only when it finished. */
export interface SparsifyPlan {
  options: SparsifyOptions;
  /** KVM when a guest CPU started under it on this host, else TCG (software): libguestfs's appliance uses it. */
  accel: "kvm" | "tcg";
}

export const sparsifyStep = defineStep<SparsifyOptions, SparsifyPlan>({
  id: "sparsify",
  title: "Sparsify and compress a copy of the disk (virt-sparsify)",
  destructive: false,
  slowVerify: "it mounts the copy's filesystems in a libguestfs appliance",
  async probe(ctx) {
    const host = ctx.host("local");
    const o = ctx.plan;
    const copy = ctx.facts.get(SPARSIFY_FACTS.done) ? await sparsifiedPath(ctx) : undefined;
    if (copy && (await host.stat(copy))) {
      return {
        satisfied: true,
        reason: `the sparsified copy exists at ${copy}`,
        plan: { options: o, accel: ctx.facts.get(SPARSIFY_FACTS.accel) ?? "tcg" },
        findings: [],
      };
    }
    const { findings, virtualSize, actualSize, backingFile, belowBytes, chainBroken, libvirt } =
      await diskInUseFindings(ctx);
    // An overlay's copy is standalone: it holds what the backing chain gives it too (found by a new-user trial).
    if (backingFile && !chainBroken)
      findings.push({
        title: "The copy is standalone",
        summary: `${o.disk} is an overlay on ${backingFile}: the sparsified copy has no backing file and holds the data it reads from there too (${formatBytes(belowBytes)} allocated below it), so it can be larger than ${o.disk} (${formatBytes(actualSize)})`,
        severity: "warning",
        blocks: false,
        remediation: `to keep the overlay small, back up ${backingFile} once and the overlay with qemu-img convert -B instead`,
      });
    if ((await host.exec("command -v virt-sparsify", { signal: ctx.signal })).code !== 0) {
      findings.push(
        blocker(
          "virt-sparsify not installed",
          "sparsify needs libguestfs's virt-sparsify; mudanza will not fall back to a weaker copy",
          "apt-get install guestfs-tools linux-image-amd64 (Debian 12; libguestfs-tools on Debian 11 and Ubuntu)",
        ),
      );
    }
    if (await host.stat(o.out))
      findings.push(
        blocker(
          "Output exists",
          `${o.out} already exists; mudanza never overwrites it`,
          "remove it, or name another file with --out FILE",
        ),
      );
    const kvm = await kvmSmokeTest(host, ctx.signal);
    const accel = kvm.result === "ok" ? "kvm" : "tcg";
    const tmp = effectiveTmpdir(o);
    // A killed run's folder is removed by its journaled compensation; one found still here (its journal gone) is said.
    const leftover = await host.stat(ownTmpdir(o));
    const tmpSpace = await freeSpace(host, tmp, ctx.signal);
    const outSpace = await freeSpace(host, dirname(o.out), ctx.signal);
    // virt-sparsify(1): the temporary overlay may grow to the disk's virtual size; the output holds at most the data.
    // It goes in a folder of mudanza's inside `tmp` (own-tmpdir.ts): the free space that counts is still tmp's.
    const outNeed =
      actualSize + belowBytes + (tmpSpace && outSpace && tmpSpace.mountPoint === outSpace.mountPoint ? virtualSize : 0);
    if (!tmpSpace)
      findings.push(
        blocker(
          "Temporary folder missing",
          `${tmp} does not exist`,
          `create it (${cmd("mkdir", "-p", tmp)}), or name another folder with --tmpdir DIR`,
        ),
      );
    else if (tmpSpace.availableBytes < virtualSize) {
      const room = await dirWithRoom(
        host,
        ["/var/tmp", dirname(o.out), dirname(o.disk), homedir()],
        virtualSize,
        ctx.signal,
      );
      findings.push(
        blocker(
          "Not enough temporary space",
          `${tmp} has ${formatBytes(tmpSpace.availableBytes)} free; virt-sparsify's overlay may need up to the virtual size, ${formatBytes(virtualSize)}`,
          room
            ? `pass ${cmd("--tmpdir", room.dir)} (${formatBytes(room.availableBytes)} free)`
            : "pass --tmpdir DIR on a filesystem with that much room",
        ),
      );
    }
    if (!outSpace) findings.push(blocker("Output folder missing", `${dirname(o.out)} does not exist`));
    else if (outSpace.availableBytes < outNeed)
      findings.push(
        blocker(
          "Not enough space for the copy",
          `${dirname(o.out)} has ${formatBytes(outSpace.availableBytes)} free, the copy may need ${formatBytes(outNeed)}`,
          "pass --out on a filesystem with more room",
        ),
      );
    return {
      satisfied: false,
      plan: { options: o, accel },
      findings,
      facts: {
        accel,
        kvm: kvm.detail,
        kvmCheckSeconds: kvm.bootedMs === undefined ? null : Math.round(kvm.bootedMs / 100) / 10,
        virtualSize,
        allocatedBefore: actualSize,
        tmpdir: tmp,
        standaloneOf: backingFile ?? null,
        libvirt,
      },
      details: [
        `${o.disk} (${formatBytes(actualSize)} allocated, ${formatBytes(virtualSize)} virtual${backingFile ? `, an overlay on ${backingFile}` : ""}) → ${o.out}${backingFile ? " (standalone: no backing file)" : ""}`,
        accel === "tcg" ? `libguestfs runs under TCG (software CPU): ${kvm.detail}` : "libguestfs runs under KVM",
        kvmCheckNote(kvm),
        `temporary files in ${ownTmpdir(o)}, removed after`,
        ...(leftover ? [leftoverNote(ownTmpdir(o))] : []),
      ],
    };
  },
  commands: ({ options: o, accel }) => [
    {
      host: "local",
      command: makeOwnTmpdirCommand(ownTmpdir(o)),
      purpose: "an empty folder of this run's own for virt-sparsify's and libguestfs's temporary files",
    },
    {
      host: "local",
      command: sparsifyCommand(o, accel),
      purpose: "zero free space inside, copy sparse and compressed",
    },
    { host: "local", command: renameCommand(o), purpose: "the finished copy takes its name" },
    { host: "local", command: removeOwnTmpdirCommand(ownTmpdir(o)), purpose: "remove the temporary files" },
  ],
  async run(ctx, { options: o, accel }) {
    const host = ctx.host("local");
    await ctx.facts.set(SPARSIFY_FACTS.accel, accel);
    await ctx.compensations.register({
      id: "sparsify-partial",
      title: `remove the unfinished copy ${partialPath(o)}`,
      host: "local",
      command: cmd("rm", "-f", "--", partialPath(o)),
    });
    const before = await allocatedBytes(host, [o.disk], ctx.signal);
    // Before virt-sparsify opens it: a write from here on is one the copy may lack (found by a new-user trial).
    await ctx.facts.set(SPARSIFY_FACTS.diskReadAs, (await diskIdentity(host, o.disk, ctx.signal)) ?? null);
    await withOwnTmpdir(ctx, ownTmpdir(o), async () => {
      await runVirtSparsify(ctx, o, accel);
      const mv = await host.exec(renameCommand(o), { signal: ctx.signal });
      if (mv.code !== 0) throw new Error(`mv ${partialPath(o)} ${o.out} failed (${failureText(mv)})`);
    });
    await ctx.compensations.clear("sparsify-partial");
    const after = await allocatedBytes(host, [o.out], ctx.signal);
    await ctx.facts.set(SPARSIFY_FACTS.allocatedBefore, before[o.disk] ?? null);
    await ctx.facts.set(SPARSIFY_FACTS.allocatedAfter, after[o.out] ?? null);
    await ctx.facts.set(SPARSIFY_FACTS.done, true);
  },
  async verify(ctx) {
    try {
      return await keptIfFailed(ctx, await verifyCopy(ctx));
    } catch (error) {
      // Cut short by Ctrl-C: the copy may be fine, the next run checks it again.
      // A journal that cannot be written is the runner's to report, as it is.
      if (ctx.signal.aborted || error instanceof StateDirWriteError || (await sparsifiedPath(ctx)) !== ctx.plan.out)
        throw error;
      await ctx.facts.set(SPARSIFY_FACTS.done, false);
      throw new Error(`${errorMessage(error)}; ${keptNote(ctx.plan.out)}`);
    }
  },
});

/** qemu-img check, then the copy's filesystems mounted read-only and listed. */
async function verifyCopy(ctx: Ctx): Promise<VerifyResult> {
  const host = ctx.host("local");
  const target = await sparsifiedPath(ctx);
  const checks: VerifyCheck[] = [];
  const check = await host.exec(cmd("qemu-img", "check", "--output=json", target), { signal: ctx.signal });
  let clean = false;
  try {
    clean = imageCheckClean(parseImageCheck(check.stdout));
  } catch {
    clean = false;
  }
  checks.push({
    name: "qemu-img check finds no errors",
    ok: check.code === 0 && clean,
    detail: check.code === 0 ? undefined : (check.stderr || check.stdout).trim().split("\n")[0],
  });
  if (!clean) return verifyResult(checks);
  const accel = ctx.facts.get(SPARSIFY_FACTS.accel) ?? "tcg";
  const dir = ownTmpdir(ctx.plan);
  const filesystems = await withOwnTmpdir(ctx, dir, () => listGuestFilesystems(host, target, accel, dir, ctx.signal));
  const mountable = filesystems.filter((f) => f.entries !== undefined || f.error !== undefined);
  checks.push({
    name: "the copy holds filesystems",
    ok: mountable.length > 0,
    detail: filesystems.map((f) => `${f.device}: ${f.type}`).join(", ") || "none found",
  });
  for (const f of mountable) {
    checks.push({
      name: `${f.device} (${f.type}) mounts read-only and lists`,
      ok: (f.entries?.length ?? 0) > 0,
      detail: f.entries ? `${f.entries.length} entries in /: ${f.entries.slice(0, 8).join(" ")}` : f.error,
    });
  }
  const sizes = await allocatedBytes(host, [target], ctx.signal);
  const beforeBytes = ctx.facts.get(SPARSIFY_FACTS.allocatedBefore);
  if (sizes[target] !== undefined)
    checks.push({
      name: "sizes",
      ok: true,
      detail: `${beforeBytes !== undefined && beforeBytes !== null ? formatBytes(beforeBytes) : "?"} before, ${formatBytes(sizes[target]!)} after`,
    });
  await ctx.facts.set(
    SPARSIFY_FACTS.filesystems,
    filesystems.map((f) => ({ device: f.device, type: f.type, entries: f.entries?.length ?? null })),
  );
  return verifyResult(checks);
}

/**
 * A copy that failed verification stays where it is, for a look, but is no longer the step's result: the next
 * run finds it as an output it will not overwrite, instead of "already done" (found by a new-user trial: the
 * failure did not say the file was left, and a later dry run said Ready).
 */
async function keptIfFailed(ctx: Ctx, result: VerifyResult): Promise<VerifyResult> {
  const copy = await sparsifiedPath(ctx);
  if (result.ok || copy !== ctx.plan.out) return result;
  await ctx.facts.set(SPARSIFY_FACTS.done, false);
  return {
    ok: false,
    checks: [
      ...result.checks,
      {
        name: keptNote(copy),
        ok: false,
      },
    ],
  };
}

const keptNote = (copy: string): string =>
  `${copy} is kept for a look and used by nothing: remove it (${cmd("rm", "--", copy)}) to sparsify again`;
