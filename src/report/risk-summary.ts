import { DELETIONS_FACT, isDeletionList, type Deletion } from "../engine/deletions.js";
import { cmd } from "../hosts/quote.js";
import { formatBytes } from "../render/format.js";
import type { DryRunStep } from "./dry-run-schema.js";

/** The top of a dry-run report: what the run destroys, how long services stop, and how to go back. */
export interface RiskSummary {
  /** The steps that change something: those that ask first in an interactive run, then those that do not. */
  changes: string[];
  /** What is overwritten or deleted, counted where it can be, each line saying how it was measured; then what steps say they delete. */
  overwrites: string[];
  /** The expected freeze window and downtime, each saying where the figure comes from. */
  freeze: string[];
  /**
   * How to undo the run, one line per way back: the checkpoints a run takes (collectDryRun's `undo` option),
   * or how to go back by hand. Never empty: when nothing can undo the run, a line says so (NO_UNDO,
   * CHECKPOINTS_NOT_PLANNED), in the JSON as in the Markdown (new-user trial 7: an empty list read as "nothing
   * to worry about").
   */
  undo: string[];
}

export interface RiskInputs {
  kind: string;
  steps: DryRunStep[];
  excludeCount: number;
  /** Facts an earlier run journaled (a dry run of a migration under way): measured passes. */
  earlierFacts: Readonly<Record<string, unknown>>;
  /** The plan has a checkpoints section: no undo line then means none could be planned, not none asked for. */
  checkpointsInPlan?: boolean;
  undo: string[];
  /** The plan's options: what the final pass copies and whether the databases start again shape the freeze. */
  planOptions?: Readonly<Record<string, unknown>>;
  /** What an earlier run left to undo (its journal's pending compensations): a run does it before its first step. */
  pendingUndo?: ReadonlyArray<{ title: string; host: string }>;
}

const bytes = (n: number): string => `${formatBytes(n)} (${n} bytes)`;
const record = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
const factOf = (steps: DryRunStep[], stepId: string, key: string): unknown =>
  steps.find((s) => s.id === stepId)?.facts[key];

/** OpenVZ → KVM: the copy replaces the target's root; the databases stop for the final pass. */
function openvzToKvm({
  steps,
  excludeCount,
  earlierFacts,
  planOptions = {},
}: RiskInputs): Pick<RiskSummary, "overwrites" | "freeze"> {
  const overwrites: string[] = [];
  const preview = record(factOf(steps, "rsync", "copyPreview"));
  const replaced = record(factOf(steps, "rsync", "targetReplaced"));
  const copy = record(factOf(steps, "rsync", "copySize"));
  const targetUsed = num(record(factOf(steps, "rsync", "targetDisk"))?.usedBytes);
  if (preview && num(preview.deleteFiles) !== undefined) {
    overwrites.push(
      `The copy deletes ${num(preview.deleteFiles)} file(s) on the target that the source lacks and overwrites ${num(preview.sendFiles) ?? "?"} changed file(s), ${bytes(num(preview.sendBytes) ?? 0)} (measured: ${String(preview.measuredWith)}).`,
    );
  } else if (replaced && num(replaced.allocatedBytes) !== undefined) {
    overwrites.push(
      `The target's root is replaced by the source's: its own files outside the excludes, ${bytes(num(replaced.allocatedBytes)!)} allocated (measured: ${String(replaced.measuredWith)}), are overwritten or deleted (rsync --delete). Files are counted one by one at the copy's gate, once the migration key is in place.`,
    );
  } else if (targetUsed !== undefined) {
    // Its tree is measured only when the free space alone may not hold the copy: df's used space bounds it.
    overwrites.push(
      `The target's root is replaced by the source's: its own files outside the excludes, at most ${bytes(targetUsed)} (measured: df, everything in use on its root filesystem, the excludes included), are overwritten or deleted (rsync --delete). Files are counted one by one at the copy's gate, once the migration key is in place.`,
    );
  } else
    overwrites.push(
      "The target's root is replaced by the source's (rsync --delete): everything outside the excludes is overwritten or deleted. The target's tree could not be measured.",
    );
  overwrites.push(
    `Kept as they are on the target: the ${excludeCount} paths under "Not copied"; network-fixup keeps the files it replaces under /root/mudanza-backup.`,
  );

  const freeze: string[] = [];
  const passes = Array.isArray(earlierFacts.syncPasses)
    ? (earlierFacts.syncPasses as unknown[]).map(record).filter((p) => p && p.kind === "live")
    : [];
  const last = passes.at(-1);
  const copyBytes = num(copy?.apparentBytes);
  const cutover = planOptions.cutover === true;
  // A cutover always copies the whole tree (finalPass's own description); so does finalPass: full.
  const wholeTree = cutover ? "`cutover: true`" : planOptions.finalPass === "full" ? "`finalPass: full`" : undefined;
  if (wholeTree) {
    freeze.push(
      last && num(last.seconds) !== undefined
        ? `Freeze window (databases stopped): at least ${num(last.seconds)} s, measured: the last live pass (pass ${String(last.pass)}) compared the whole tree in ${num(last.seconds)} s, and with ${wholeTree} the final pass compares it all again while the databases are stopped, sending what changed.`
        : `Freeze window (databases stopped): not measured yet. With ${wholeTree} the final pass compares the whole tree${copyBytes !== undefined ? `, ${bytes(copyBytes)},` : ""} again while the databases are stopped: at least as long as one live pass over it; the live passes measure it, and a dry run after them gives seconds.`,
    );
  } else if (last && num(last.seconds) !== undefined) {
    freeze.push(
      `Freeze window (databases stopped): about ${num(last.seconds)} s, measured: the last live pass (pass ${String(last.pass)}) took ${num(last.seconds)} s for ${bytes(num(last.transferredBytes) ?? 0)}; the final pass sends what changed since, at that rate.`,
    );
  } else {
    freeze.push(
      `Freeze window (databases stopped): not measured yet, no time estimated. The final pass does not compare the whole tree${copyBytes !== undefined ? ` (${bytes(copyBytes)})` : ""}: it lists what changed on the source since the last live pass began (a walk of the files' metadata, no content read) and copies that and the database directories; the live passes measure the rate, and a dry run after them gives seconds.`,
    );
  }
  freeze.push(
    cutover
      ? "Downtime: with `cutover: true` the source's databases stop at the freeze and stay stopped: what uses them is down from the freeze until clients use the VM (after its reboot and checks)."
      : "Downtime: the databases are down for the freeze window; the rest of the source stays in service, and its databases start again after the final pass (with `cutover: true` they stay stopped until clients use the VM).",
  );
  return { overwrites, freeze };
}

/** VServer → OpenVZ: a new container (nothing on the node overwritten); the guest is down from its stop to the container's checks. */
function vserverToOpenvz({ steps, earlierFacts }: RiskInputs): Pick<RiskSummary, "overwrites" | "freeze"> {
  const copyBytes = num(factOf(steps, "inventory", "bytesToTransfer"));
  const overwrites = [
    `Nothing on the OpenVZ node is overwritten: the container and its private area must be new (a taken CTID blocks); it receives ${copyBytes !== undefined ? bytes(copyBytes) : "the guest's tree"} (measured: du -sxk of the guest's vdir on the VServer host).`,
    "On the VServer host the guest is stopped for the final pass and, once the container runs, disabled at boot (unless keepGuestOnBoot); its files stay.",
  ];
  const live = Array.isArray(earlierFacts.livePasses)
    ? (earlierFacts.livePasses as unknown[]).map(num).filter((n) => n !== undefined)
    : [];
  const freeze = [
    live.length > 0
      ? `Downtime (guest stopped until the container answers; the freeze window is the same): the final pass sends about what the last live pass did, ${bytes(live.at(-1)!)} (measured by the last run), plus the container's start and checks.`
      : `Downtime (guest stopped until the container answers; the freeze window is the same): not measured yet, no time estimated. The final pass compares the guest's whole tree${copyBytes !== undefined ? ` (${bytes(copyBytes)})` : ""} again and sends what changed since the last live pass, then the container starts and its services are checked.`,
  ];
  return { overwrites, freeze };
}

const BY_KIND: Record<string, (inputs: RiskInputs) => Pick<RiskSummary, "overwrites" | "freeze">> = {
  "openvz-to-kvm": openvzToKvm,
  "vserver-to-openvz": vserverToOpenvz,
};

/** Kinds whose steps that destroy nothing still write: new image files, a base and its backing chain made read-only. */
const WRITING_KINDS = new Set(["image-clone", "image-sparsify"]);

/** Kinds where going back is by hand, and how: they take no checkpoints. */
const UNDO_BY_HAND: Record<string, string> = {
  "image-clone":
    "By hand: the run makes only new files (the overlays, and the libvirt domains when asked) and makes the base and the files below it in its backing chain read-only; delete what it made (`virsh undefine` a domain first) and `chmod u+w` those files to go back.",
  "image-sparsify":
    "By hand: the sparsified copy is a new file, deleted to go back. With --replace the original is gone once the last step ran: keep a copy of it first if you may need it.",
  "image-info": "Nothing to undo: it only reads.",
  "host-doctor":
    "Nothing to undo unless --enable-ksm turned KSM on: `echo 0 > /sys/kernel/mm/ksm/run` turns it off again (it is off again after a reboot anyway).",
  // Not "no checkpoint could be planned": a rollback takes none, it returns to one (found by a new-user trial).
  rollback:
    "Nothing mudanza offers: returning a host to a checkpoint discards what was done to it since. Afterwards `mudanza run PLAN` continues the migration from the checkpoint, doing the undone steps again.",
  "checkpoints-delete":
    "Nothing: a deleted checkpoint is gone for good, and with it the way back `mudanza rollback` offered. Check the migrated system first.",
};

/**
 * VServer → OpenVZ takes no checkpoints (its plan has no such section), and needs none to go back: the
 * guest's files are only read. Going back is by hand, with the guest and CTID the dry run found.
 */
function vserverUndo(steps: DryRunStep[]): string {
  const guest = record(factOf(steps, "inventory", "sourceGuest"))?.name;
  const ctid = num(record(factOf(steps, "inventory", "targetContainer"))?.ctid);
  const guestWords = typeof guest === "string" ? cmd("vserver", guest, "start") : "vserver GUEST start";
  const vz = (...args: string[]) =>
    ctid !== undefined
      ? cmd("vzctl", args[0]!, ctid, ...args.slice(1))
      : `vzctl ${args[0]} CTID ${args.slice(1).join(" ")}`.trim();
  return (
    "By hand (this kind takes no checkpoints; its plan has no `checkpoints` section): the run only reads the guest's files on the VServer host, so going back is " +
    `stopping the container (\`${vz("stop")}\`) and keeping it from starting with the node (\`${vz("set", "--onboot", "no", "--save")}\`), ` +
    "moving the guest's boot mark back if the disable-guest step ran (`apps/init/mark.mudanza-disabled` to `apps/init/mark` in the guest's config folder: that step's `mv`, reversed), " +
    `and starting the guest (\`${guestWords}\`). A run that fails stops the container and starts the guest again itself (its compensations). ` +
    `The container's private area stays on the node until you remove it (\`${vz("destroy")}\`).`
  );
}

/**
 * A step's words name the container as "CTID" (/etc/vz/conf/CTID.conf): the id the inventory chose, once
 * known (new-user trial 10: the summary said CTID a few lines above the report's 1001).
 */
function withCtid(text: string, steps: DryRunStep[]): string {
  const ctid = num(record(factOf(steps, "inventory", "targetContainer"))?.ctid);
  return ctid === undefined ? text : text.replace(/\bCTID\b/g, String(ctid));
}

/** What steps say they delete beyond their title (a cleanup before an update): one line per step and deletion, naming its hosts. */
function deletionLines(steps: DryRunStep[]): string[] {
  return steps.flatMap((s) => {
    const deletions = s.facts[DELETIONS_FACT];
    if (!isDeletionList(deletions)) return [];
    // The same deletion on both hosts is one line naming both.
    const same = new Map<string, Deletion[]>();
    for (const d of deletions) {
      const key = JSON.stringify([d.what, d.commands]);
      same.set(key, [...(same.get(key) ?? []), d]);
    }
    return [...same.values()].map(
      (group) =>
        `Step "${s.title}" deletes, on the ${group.map((d) => d.host).join(" and the ")}: ${group[0]!.what} (${group[0]!.commands.map((c) => `\`${c}\``).join(", ")}).`,
    );
  });
}

/** A migration whose plan has a checkpoints section, none of which could be planned (its host unreachable, a refusal). */
export const CHECKPOINTS_NOT_PLANNED =
  "None known yet: the plan has a `checkpoints` section, but no checkpoint could be planned (see the blockers and warnings). Until one can, nothing undoes this run: fix them and run the dry run again.";

export function riskSummary(inputs: RiskInputs): RiskSummary {
  const active = (s: DryRunStep) => s.status === "would-run" || s.status === "blocked";
  const asking = inputs.steps.filter((s) => s.destructive && active(s));
  // A step that does not ask may still change a host (a key authorized, a package installed): counted apart.
  const unasked = inputs.steps.filter((s) => !s.destructive && active(s) && s.changesWithoutAsking);
  const writing = WRITING_KINDS.has(inputs.kind)
    ? inputs.steps.filter((s) => !s.destructive && active(s) && s.commands.length > 0)
    : [];
  const unaskedList = unasked.map((s) => `${s.title}: ${withCtid(s.changesWithoutAsking!, inputs.steps)}`).join("; ");
  const pending = inputs.pendingUndo ?? [];
  const changes = [
    // The runner does these first, without a gate, newest first (found by a new-user trial: a killed clone run's
    // undo was in no report, and deleted what was at the clone's name by then). The dry run probes the hosts
    // before them (trial 7: a clone the undo removed was made again, which the dry run had not listed).
    ...(pending.length > 0
      ? [
          `Before its first step, a run first undoes what an earlier run left pending, without asking, in this order: ${pending.map((c) => `${c.title} (${c.host})`).join("; ")}. The steps below are planned from the hosts as they are now, before that undo: the run checks them again after it, and may have more to do.`,
        ]
      : []),
    ...(asking.length > 0
      ? [`${asking.length} step(s) ask at a gate before they change a host: ${asking.map((s) => s.title).join("; ")}.`]
      : []),
    ...(unasked.length > 0
      ? [`${unasked.length} ${asking.length > 0 ? "more" : "step(s)"} change a host without asking: ${unaskedList}.`]
      : []),
    ...(writing.length > 0
      ? [
          `${writing.length} step(s) write new files or change a file's mode, destroying nothing: ${writing.map((s) => s.title).join("; ")}.`,
        ]
      : []),
  ];
  if (changes.length === 0) changes.push("No step would change anything.");
  const specific = BY_KIND[inputs.kind]?.(inputs) ?? { overwrites: [], freeze: [] };
  const deletions = deletionLines(inputs.steps.filter(active));
  const byHand = inputs.kind === "vserver-to-openvz" ? vserverUndo(inputs.steps) : UNDO_BY_HAND[inputs.kind];
  const undo =
    inputs.undo.length > 0
      ? inputs.undo
      : byHand
        ? [byHand]
        : inputs.checkpointsInPlan
          ? [CHECKPOINTS_NOT_PLANNED]
          : // said in the JSON report as in the Markdown (new-user trial 7: an empty list read as "no concern")
            [NO_UNDO];
  return { changes, ...specific, overwrites: [...specific.overwrites, ...deletions], undo };
}

/** Said of an openvz-to-kvm run without checkpoints (the only kind that takes them): no way back is known. */
export const NO_UNDO =
  "Nothing can undo this run: the plan has no `checkpoints` section, so mudanza takes no checkpoint before a step that changes things, and compensations only start again what a failed run stopped (databases, a guest); they restore no file. Add a `checkpoints` section (`mudanza plan openvz-to-kvm` shows it) or take a snapshot or backup of each host it changes first.";
