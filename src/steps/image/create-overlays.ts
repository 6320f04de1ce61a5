import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { blocker, type Finding } from "../../engine/finding.js";
import { defineStep, verifyResult, type VerifyCheck } from "../../engine/step.js";
import type { Host } from "../../hosts/host.js";
import { cmd, pasteable, raw, sh } from "../../hosts/quote.js";
import { resolvePath } from "../../hosts/resolve-path.js";
import { parseBackingChain } from "../../kvm/qemu-img-info.js";
import { restoreModeId } from "./base-mode.js";
import { statInUtcCommand } from "./disk-identity.js";
import { protectBaseStep } from "./protect-base.js";
import { CLONE_FACTS } from "./facts.js";
import { shownImagePath } from "./chain-path.js";
import { cloneTargets, type CloneOptions, type CloneTarget } from "../../plan/options/image-clone.js";
import { failureText } from "../../hosts/failure-text.js";
import { sayUndoKept, sayUndoOutcome } from "../../engine/undo-outcome.js";
import { inUseSnippet, keptInUseOutcome } from "./in-use.js";
import { overlayNotMadeHere, placedByThisJournal } from "./existing-clone.js";

type OverlayState = "missing" | "ours" | "foreign";

/** An existing file is "ours" when it is a qcow2 whose backing reference is exactly the relative path we write. */
async function overlayState(
  host: Host,
  target: CloneTarget,
  signal: AbortSignal,
): Promise<{ state: OverlayState; detail?: string }> {
  if (!(await host.stat(target.path))) return { state: "missing" };
  const res = await host.exec(cmd("qemu-img", "info", "-U", "--backing-chain", "--output=json", target.path), {
    signal,
  });
  if (res.code !== 0) return { state: "foreign", detail: res.stderr.trim().split("\n")[0] };
  const top = parseBackingChain(res.stdout)[0];
  if (top?.format === "qcow2" && top["backing-filename"] === target.backingRef) return { state: "ours" };
  return { state: "foreign", detail: `its backing file is ${top?.["backing-filename"] ?? "none"}` };
}

const TEMPORARY_PREFIX = ".mudanza-new-";

/**
 * Where a clone is made before it is put in place: beside it (its relative backing path means the same), under
 * a name no one else uses. qemu-img create overwrites whatever is at its path, and the undo of a killed run
 * runs before the next run's checks: both may only ever touch this name, never the clone's own.
 */
const newOverlayPath = (t: CloneTarget, tag: string): string =>
  join(dirname(t.path), `${TEMPORARY_PREFIX}${tag}-${basename(t.path)}`);

const createCommand = (t: CloneTarget, baseFormat: string, tag: string): string =>
  cmd("qemu-img", "create", "-q", "-f", "qcow2", "-F", baseFormat, "-b", t.backingRef, newOverlayPath(t, tag));

/** A hard link fails if the name exists: the clone is put in place only if nothing took its name since the check. */
const putInPlaceCommand = (t: CloneTarget, tag: string): string => cmd("ln", "--", newOverlayPath(t, tag), t.path);

const removeNewCommand = (t: CloneTarget, tag: string): string => cmd("rm", "-f", "--", newOverlayPath(t, tag));

/** The modification time, to the nanosecond: a VM's write changes it. */
const mtimeCommand = (path: string): string => statInUtcCommand(path, "%y");

/**
 * The undo of a clone put in place: it is removed only while it is still the file this run made (the new name
 * is a hard link to it: `test -ef`), nothing wrote to it since (its mtime) and nothing has it open (inUseSnippet):
 * after a killed run this runs before the next run's checks, when the name may hold the admin's file or a clone
 * a VM already uses. Each branch says what it did: a kept clone must not be reported as removed (new-user trial).
 */
const removePlacedCommand = (t: CloneTarget, tag: string, mtime: string): string =>
  sh`if ! test -e ${t.path}; then ${raw(sayUndoOutcome(`${t.path} is gone: nothing to remove`))}; ` +
  sh`elif ! test ${t.path} -ef ${newOverlayPath(t, tag)}; then ${raw(sayUndoKept(`kept ${t.path}: it is not the clone this run made`))}; ` +
  sh`elif test "$(${raw(mtimeCommand(t.path))})" != ${mtime}; then ${raw(sayUndoKept(`kept ${t.path}: written since this run made it (a VM may use it)`))}; ` +
  `else ${inUseSnippet(t.path)}; if ${keptInUseOutcome(t.path)}; then :; ` +
  sh`else rm -f -- ${t.path} || exit 1; ${raw(sayUndoOutcome(`removed the clone ${t.path}`))}; fi; fi; ` +
  removeNewCommand(t, tag);

/** The clone a temporary name was made for: `.mudanza-new-TAG-lab1.qcow2` -> `lab1.qcow2` beside it. */
const placedPath = (link: string): string =>
  join(
    dirname(link),
    basename(link)
      .slice(TEMPORARY_PREFIX.length)
      .replace(/^[0-9a-f]{8}-/, ""),
  );

/** Drops the name only while it is still a link to its placed clone (the same file: no data goes). */
const dropLeftoverCommand = (link: string): string =>
  sh`if test ${link} -ef ${placedPath(link)}; then rm -f -- ${link}; fi`;

/**
 * The temporary names in `dir` that are hard links to a clone of this run's names in place beside them. The
 * random tag is in no journal once the undo is cleared: they are found by their shape and their inode.
 */
async function leftoverLinks(host: Host, dir: string, targets: CloneTarget[], signal: AbortSignal): Promise<string[]> {
  // One round trip: each name of that shape that is the same file as the name it was made for (placedPath).
  const hex8 = "[0-9a-f]".repeat(8);
  const listed = await host.exec(
    sh`for f in ${dir}/${raw(`${TEMPORARY_PREFIX}${hex8}-*`)}; do n=\${f##*/}; n=\${n#${raw(TEMPORARY_PREFIX)}}; ` +
      `test -f "$f" && test "$f" -ef "\${f%/*}/\${n#*-}" && printf '%s\\0' "$f"; done; true`,
    { signal },
  );
  const names = new Set(targets.map((t) => t.path));
  return listed.stdout.split("\0").filter((f) => f !== "" && names.has(placedPath(f)));
}

/** N copy-on-write overlays of the base, each with a relative backing path (the folder can move as a whole). */
export interface OverlaysPlan {
  /** The base's format, as the overlays' backing format (-F). */
  format: string;
  /** The clones that do not exist yet, in order. */
  missing: CloneTarget[];
  /**
   * Temporary names a killed run left beside clones already in place (killed between clearing its undo and
   * dropping them): each a second hard link to its clone, dropped by this run (leftoverLinks).
   */
  leftoverLinks?: string[];
  /** Names this run's new overlays before they are put in place (newOverlayPath). */
  tag: string;
}

export const createOverlaysStep = defineStep<CloneOptions, OverlaysPlan>({
  id: "create-overlays",
  title: "Create the overlay clones",
  destructive: false,
  async probe(ctx) {
    const host = ctx.host("local");
    const findings: Finding[] = [];
    const targets = cloneTargets(ctx.plan);
    findings.push(...(await outDirFindings(host, ctx.plan, targets[0])));
    const missing: CloneTarget[] = [];
    const taken: CloneTarget[] = [];
    const placedHere = placedByThisJournal(ctx.facts, ctx.plan);
    const kept: CloneTarget[] = [];
    const notMadeHere: CloneTarget[] = [];
    for (const t of targets) {
      const s = await overlayState(host, t, ctx.signal);
      if (s.state === "missing") missing.push(t);
      if (s.state === "ours" && placedHere.has(t.path)) kept.push(t);
      if (s.state === "ours" && !placedHere.has(t.path)) {
        notMadeHere.push(t);
        findings.push(await overlayNotMadeHere(host, t, ctx.signal));
      }
      if (s.state === "foreign") {
        taken.push(t);
        findings.push(
          blocker(
            "Clone path taken",
            `${t.path} exists and is not an overlay of the base (${s.detail ?? "unreadable"}); mudanza never overwrites it`,
            `move it away or choose another --name`,
          ),
        );
      }
    }
    const format = (await baseFormat(host, ctx.plan.base, ctx.signal)) ?? "qcow2";
    const leftovers = await leftoverLinks(host, ctx.plan.outDir, targets, ctx.signal);
    return {
      satisfied: missing.length === 0 && findings.length === 0 && leftovers.length === 0,
      // "All exist" only of this command's own overlays: files of other images under the clones' names block it
      // (found by a new-user trial: with l1 and l2 of the base's own chain taken, it read as already done).
      reason:
        taken.length > 0
          ? `names taken by other files: ${taken.map((t) => basename(t.path)).join(", ")} (not overlays of this base); move them away or choose another --name`
          : notMadeHere.length > 0
            ? `names taken by overlays of this base this run did not make: ${notMadeHere.map((t) => basename(t.path)).join(", ")}; move them away or choose another --start or --name`
            : missing.length === 0
              ? leftovers.length === 0
                ? `all ${targets.length} overlays exist`
                : `all ${targets.length} overlays exist; ${leftovers.length} temporary name(s) a killed run left beside them to drop`
              : undefined,
      plan: { format, missing, tag: randomBytes(4).toString("hex"), leftoverLinks: leftovers },
      findings,
      details: targets.map(
        (t) =>
          `${t.name}: ${t.path} → backing ${t.backingRef}${kept.includes(t) ? " (made by an earlier run of this command: kept as it is)" : ""}`,
      ),
    };
  },
  commands: (plan) => [
    ...(plan.leftoverLinks ?? []).map((link) => ({
      host: "local",
      command: dropLeftoverCommand(link),
      purpose: `a temporary name a killed run left: a second link to ${placedPath(link)}, the same file (only the name goes)`,
    })),
    ...plan.missing.flatMap((t) => [
      {
        host: "local",
        command: createCommand(t, plan.format, plan.tag),
        purpose: `${t.name}: made under a name of its own; reads the base, writes only to itself`,
      },
      {
        host: "local",
        command: putInPlaceCommand(t, plan.tag),
        purpose: `${t.name}: put in place, only if nothing took ${basename(t.path)} since the check (ln never overwrites)`,
      },
    ]),
    ...plan.missing.map((t) => ({
      host: "local",
      command: removeNewCommand(t, plan.tag),
      purpose: `${t.name}: drop the temporary name, once every clone is in place`,
    })),
  ],
  async run(ctx, plan) {
    const host = ctx.host("local");
    for (const link of plan.leftoverLinks ?? []) {
      const dropped = await host.exec(dropLeftoverCommand(link), { signal: ctx.signal });
      if (dropped.code !== 0) throw new Error(`removing the leftover name ${link} failed (${failureText(dropped)})`);
    }
    for (const [i, t] of plan.missing.entries()) {
      // Undo on failure: a half-made set of clones is removed, never left looking complete. Never a file this
      // run did not make: after a killed run the undo runs first, and the name may be the admin's by then
      // (found by a new-user trial: a killed run's `rm -f` of the clone's name deleted the admin's disk).
      await ctx.compensations.register({
        id: `overlay-${t.name}`,
        title: `remove the new overlay for ${t.path}, not yet in place`,
        host: "local",
        command: removeNewCommand(t, plan.tag),
      });
      const res = await host.exec(createCommand(t, plan.format, plan.tag), { signal: ctx.signal });
      if (res.code !== 0) throw new Error(`creating ${t.path} failed (${failureText(res)})`);
      const mtime = await host.exec(mtimeCommand(newOverlayPath(t, plan.tag)), { signal: ctx.signal });
      if (mtime.code !== 0) throw new Error(`reading the new overlay for ${t.path} failed (${failureText(mtime)})`);
      await ctx.compensations.register({
        id: `overlay-${t.name}`,
        title: `remove overlay ${t.path} while it is the one this run made, unwritten`,
        host: "local",
        command: removePlacedCommand(t, plan.tag, mtime.stdout.trim()),
      });
      const placed = await host.exec(putInPlaceCommand(t, plan.tag), { signal: ctx.signal });
      if (placed.code !== 0)
        throw new Error(
          (await host.stat(t.path))
            ? `${t.path} appeared after the check: it was not overwritten; move it away or choose another --name`
            : `putting ${t.path} in place failed (${failureText(placed)})`,
        );
      // Recorded at once: after a kill, the undo may keep this clone (a VM wrote to it) and the next run finds it.
      await ctx.facts.set(CLONE_FACTS.placed, [...(ctx.facts.get(CLONE_FACTS.placed) ?? []), t.path]);
      ctx.output("local", `created ${t.path} (backing ${t.backingRef})`);
      ctx.progress({
        bytesDone: 0,
        filesChecked: i + 1,
        filesTotal: plan.missing.length,
        percent: Math.round(((i + 1) / plan.missing.length) * 100),
        label: t.name,
      });
    }
    // Journaled for `image sparsify --replace`: it cannot find overlays outside the base's folder by itself.
    await ctx.facts.set(CLONE_FACTS.overlays, {
      base: ctx.plan.base,
      paths: cloneTargets(ctx.plan).map((t) => t.path),
    });
    // The overlays stand on the base now: it and the chain below it stay read-only. Protected in this run or
    // not at all (an earlier run's compensations run before anything else, so none of them is pending now).
    // One write: a base made writable again under overlays that stay would let a write corrupt every clone.
    await ctx.compensations.clear(
      ...plan.missing.map((t) => `overlay-${t.name}`),
      ...(ctx.probedPlan(protectBaseStep)?.files ?? []).map((f) => restoreModeId(f.file)),
    );
    // Only now: until the undo is cleared, the temporary names are how it tells this run's clones from others.
    for (const t of plan.missing) {
      const dropped = await host.exec(removeNewCommand(t, plan.tag), { signal: ctx.signal });
      if (dropped.code !== 0)
        ctx.output(
          "local",
          `the temporary name ${newOverlayPath(t, plan.tag)} stays (${failureText(dropped)}): remove it`,
        );
    }
  },
  async verify(ctx) {
    const host = ctx.host("local");
    const checks: VerifyCheck[] = [];
    for (const t of cloneTargets(ctx.plan)) {
      const res = await host.exec(cmd("qemu-img", "info", "-U", "--backing-chain", "--output=json", t.path), {
        signal: ctx.signal,
      });
      if (res.code !== 0) {
        checks.push({
          name: `${t.name} opens with its backing chain`,
          ok: false,
          detail: res.stderr.trim().split("\n")[0],
        });
        continue;
      }
      const chain = parseBackingChain(res.stdout);
      const top = chain[0];
      checks.push({
        name: `${t.name} backs onto the base by a relative path`,
        ok: top?.["backing-filename"] === t.backingRef && !t.backingRef.startsWith("/"),
        detail: top?.["backing-filename"],
      });
      checks.push({
        name: `${t.name} chain resolves`,
        ok: chain.length >= 2,
        detail: chain.map((c) => shownImagePath(c.filename)).join(" → "),
      });
    }
    return verifyResult(checks);
  },
});

/**
 * The clones' folder must be a directory, through a link or not (/var/lib/libvirt/images -> /srv/images is
 * common), and the backing path written into each clone must reach the base from there. It is relative to the
 * folder as named, but the kernel resolves its `..` from where a link in the folder's path leads: through
 * `vlink/sub` (vlink -> deep/er), `../../base.qcow2` names deep/base.qcow2 (found by a new-user trial: the
 * dry run said Ready, and qemu-img create could not open the backing file).
 */
async function outDirFindings(host: Host, options: CloneOptions, first: CloneTarget | undefined): Promise<Finding[]> {
  const { outDir, base } = options;
  const real = await resolvePath(host, outDir);
  const dir = await host.stat(real);
  if (dir?.type !== "dir")
    return [
      real === outDir
        ? blocker("Output folder missing", `${outDir} is not a directory`, cmd("mkdir", "-p", outDir))
        : blocker(
            "Output folder missing",
            `${outDir} leads through symbolic links to ${real}, which is not a directory`,
            cmd("mkdir", "-p", real),
          ),
    ];
  if (!first || real === outDir) return [];
  // As qemu-img will open it: the folder's path as given, then the backing path, resolved by the kernel.
  const reaches = await host.exec(sh`test ${`${outDir}/${first.backingRef}`} -ef ${base}`);
  if (reaches.code === 0) return [];
  return [
    blocker(
      "Backing path would miss the base",
      `${outDir} leads through symbolic links to ${real}: the clones' backing path ${first.backingRef}, relative to their folder, would not name ${base} from there, and qemu-img could not open their base`,
      `give the folder's real path: --out-dir ${pasteable(real)}`,
    ),
  ];
}

async function baseFormat(host: Host, base: string, signal: AbortSignal): Promise<string | undefined> {
  const res = await host.exec(cmd("qemu-img", "info", "-U", "--output=json", base), { signal });
  if (res.code !== 0) return undefined;
  return (JSON.parse(res.stdout) as { format?: string }).format;
}
