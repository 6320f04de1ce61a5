import { z } from "zod";
import { defineFact, keysOf } from "../../engine/facts.js";
import { defaultRouteSchema, globalAddressSchema } from "../network/ip-addresses.js";
import { resolvedNameSchema } from "../network/name-resolution.js";
import { ROLLBACK_UNDER_WAY } from "../../journal/rollback-under-way.js";

/**
 * Every journal fact of the OpenVZ -> KVM pipeline, declared once with its shape and the rollbacks that keep
 * it. Steps read and write them through these definitions; status, reports and the lab read the raw journal
 * by `FACT` key.
 */
const releaseSchema = z.object({
  id: z.string(),
  versionId: z.string(),
  point: z.string(),
  pretty: z.string(),
  family: z.enum(["rhel", "debian", "unknown"]),
  pointSource: z.string(),
});

const networkFileSchema = z.object({ path: z.string(), content: z.string(), link: z.boolean().optional() });

export const targetIdentitySchema = z.object({
  capturedAt: z.string(),
  kernelRelease: z.string(),
  /** Files holding a secret carry only keptOnTarget (their copy on the target), never their content. */
  network: z.array(networkFileSchema.extend({ keptOnTarget: z.string().optional() })),
  /** Network units enabled on the target (to enable again). */
  networkUnits: z.array(z.string()),
  fstab: z.string().nullable(),
  resolvConf: networkFileSchema.nullable(),
  bootFiles: z.array(z.string()),
  bootPackages: z.array(z.string()),
  hostKeyFingerprints: z.array(z.string()),
  /** root's authorized public keys: the tool's own access to the target, put back after each pass. */
  authorizedKeys: z.array(z.string()),
  selinuxEnforcing: z.boolean(),
});
/** What the target was before the copy overwrote it: everything network-fixup and the checks need. */
export type TargetIdentity = z.infer<typeof targetIdentitySchema>;

export const rebootOutcomeSchema = z.object({
  bootIdBefore: z.string(),
  bootIdAfter: z.string(),
  /** True when only the /run marker proved the reboot (a container keeps the node's boot id). */
  provedByMarker: z.boolean(),
  seconds: z.number(),
  attempts: z.number(),
});

const hostUpdateSchema = rebootOutcomeSchema.extend({ container: z.boolean() });

/** How rsync decides what changed: file content (--checksum) or size and mtime (its quick check). */
export const compareModeSchema = z.enum(["checksum", "quick-check"]);

export const syncPassSchema = z.object({
  pass: z.number(),
  kind: z.enum(["live", "final"]),
  code: z.number(),
  vanished: z.boolean(),
  seconds: z.number(),
  transferredBytes: z.number(),
  deletedFiles: z.number(),
  files: z.number(),
  at: z.string(),
  /** How rsync decided what changed: content (--checksum, until a pass completed) or size and mtime. */
  compare: compareModeSchema.optional(),
  /** A final pass of only what changed since the last live pass began (absent: the whole tree). */
  scope: z.enum(["whole", "changed"]).optional(),
  /** A pass of several commands (the short final pass): how long each took, in order, for the bench. */
  parts: z.array(z.object({ what: z.string(), seconds: z.number() })).optional(),
});

export const databaseFactSchema = z.object({
  units: z.array(z.string()),
  /** Active sockets (paths, timers) that start the units on demand: stopped with them, started again with them. */
  triggers: z.array(z.string()).optional(),
  stoppedAt: z.string().optional(),
  /** When the stop returned and every frozen unit was seen inactive: writes acknowledged after this are a leak. */
  allStoppedAt: z.string().optional(),
  startedOnTargetAt: z.string().optional(),
  /** When the start on the source was sent: nothing may be acknowledged between allStoppedAt and this. */
  thawStartedAt: z.string().optional(),
  startedOnSourceAt: z.string().optional(),
  /** Cutover: the source's databases were left stopped on purpose. */
  leftStoppedOnSource: z.boolean(),
  /** Cutover: when the target became the production system (the cutover step, after reboot verification). */
  cutoverAt: z.string().optional(),
});
export type DatabaseFact = z.infer<typeof databaseFactSchema>;

const fixupActionKind = z.enum(["restore", "remove", "write"]);

const fingerprints = z.array(z.string());

/** A checkpoint this migration took: where, what for, and when (mudanza rollback returns to it). */
export const checkpointFactSchema = z.object({
  side: z.enum(["target", "source"]),
  purpose: z.enum(["before-update", "before-copy"]),
  name: z.string(),
  via: z.string(),
  label: z.string(),
  takenAt: z.string(),
  /** When mudanza deleted it (`checkpoints --delete`, deleteCheckpointsWhenDone): kept as history, offered to no rollback. */
  deletedAt: z.string().optional(),
});
export type CheckpointFact = z.infer<typeof checkpointFactSchema>;

/** A list read from a host, or why it could not be read (the checks then say they were not made). */
const unitListSchema = z.union([z.object({ units: z.array(z.string()) }), z.object({ unreadable: z.string() })]);

/** What the VM was before the first copy, for the checks after its reboot (capture-target). */
export const vmBeforeCopySchema = z.object({
  at: z.string(),
  addresses: z.array(globalAddressSchema),
  /** Null when iproute2 could not print them as JSON. */
  defaultRoutes: z.array(defaultRouteSchema).nullable(),
  failedUnits: unitListSchema,
  resolved: resolvedNameSchema,
});
export type VmBeforeCopy = z.infer<typeof vmBeforeCopySchema>;

export const tableRowsSchema = z.object({ database: z.string(), table: z.string(), rows: z.number().int() });

/** The source just before db-freeze stopped its databases: what the VM must match after its reboot. */
export const sourceAtFreezeSchema = z.object({
  at: z.string(),
  failedUnits: unitListSchema,
  activeServices: unitListSchema,
  /** Exact row counts per table of each database unit counted; the VM must hold at least as many. */
  rowCounts: z.array(z.object({ unit: z.string(), tables: z.array(tableRowsSchema) })),
  /** Database units whose rows were not counted, each with why. */
  notCounted: z.array(z.object({ unit: z.string(), why: z.string() })),
});
export type SourceAtFreeze = z.infer<typeof sourceAtFreezeSchema>;

/** One installed package as the package database lists it (version with epoch on EL when it has one). */
export const installedPackageSchema = z.object({ name: z.string(), version: z.string(), arch: z.string().optional() });

/** Which rollbacks keep a fact, named by the checkpoint they return to. */
const ROLLBACK = {
  /** The checkpoints themselves: every rollback needs them. */
  keptByAll: ["before-update", "before-copy"],
  /** Found after the update, before the copy: still true back at the copy's checkpoint, not at the update's. */
  keptToBeforeCopy: ["before-copy"],
  /** The copy's work and what follows it: every rollback undoes it, the next run finds it again. */
  dropped: [],
} as const satisfies Record<string, readonly CheckpointFact["purpose"][]>;

/**
 * A fact of this pipeline with the rollbacks that keep it (src/steps/rollback drops it in every other). Every
 * fact says so where it is declared: a fact that was dropped by default once left restore-vm-packages with no
 * package list after a rollback to the copy's checkpoint.
 */
function ovzFact<S extends z.ZodType>(key: string, schema: S, keptByRollbackTo: readonly CheckpointFact["purpose"][]) {
  return { ...defineFact(key, schema), keptByRollbackTo };
}

/**
 * A journal of the version before `redo` holds `redone: boolean`: read as `redo`, so a migration it began still
 * resumes.
 */
function withRedoFromRedone(value: unknown): unknown {
  if (typeof value !== "object" || value === null || "redo" in value || !("redone" in value)) return value;
  const { redone, ...rest } = value as Record<string, unknown>;
  return { ...rest, redo: redone === true ? "done" : "not needed" };
}

export const OVZ_FACTS = {
  sourceRelease: ovzFact("sourceRelease", releaseSchema.nullable(), ROLLBACK.keptToBeforeCopy),
  targetRelease: ovzFact("targetRelease", releaseSchema.nullable(), ROLLBACK.keptToBeforeCopy),
  targetIdentity: ovzFact("targetIdentity", targetIdentitySchema, ROLLBACK.keptToBeforeCopy),
  /** The VM's installed packages before the first copy: what restore-vm-packages puts back. */
  targetPackages: ovzFact("targetPackages", z.array(installedPackageSchema), ROLLBACK.keptToBeforeCopy),
  sourceHostKeyFingerprints: ovzFact("sourceHostKeyFingerprints", fingerprints, ROLLBACK.keptToBeforeCopy),
  targetHostKeyFingerprints: ovzFact("targetHostKeyFingerprints", fingerprints, ROLLBACK.keptToBeforeCopy),
  /** Fingerprints the target presents once the copy replaced its host keys (= the source's). */
  targetAcceptHostKeys: ovzFact("targetAcceptHostKeys", fingerprints, ROLLBACK.dropped),
  preUpdate: ovzFact(
    "preUpdate",
    z.object({ source: hostUpdateSchema.optional(), target: hostUpdateSchema.optional() }),
    ROLLBACK.keptToBeforeCopy,
  ),
  syncPasses: ovzFact("syncPasses", z.array(syncPassSchema), ROLLBACK.dropped),
  databases: ovzFact("databases", databaseFactSchema, ROLLBACK.dropped),
  freezeWindowSec: ovzFact("freezeWindowSec", z.number(), ROLLBACK.dropped),
  /** The full comparison after a short final pass (short-freeze.ts): what differed, what was missed. */
  freezeProof: ovzFact(
    "freezeProof",
    z.preprocess(
      withRedoFromRedone,
      z.object({
        seconds: z.number(),
        differences: z.number(),
        sinceFreeze: z.number(),
        repaired: z.array(z.string()),
        repairedCount: z.number(),
        staleInDatabases: z.array(z.string()),
        unclassified: z.string().optional(),
        /** The repair's own time (after the proof), when it copied anything. */
        repairSeconds: z.number().optional(),
        firstWindowSec: z.number(),
        /**
         * Whether the freeze is done again with a full pass: "under way" is written before that freeze
         * starts, "done" once its pass completed, so a crash in between does not read as "not needed".
         */
        redo: z.enum(["not needed", "under way", "done"]),
      }),
    ),
    ROLLBACK.dropped,
  ),
  finalSyncAt: ovzFact("finalSyncAt", z.string(), ROLLBACK.dropped),
  networkFixup: ovzFact(
    "networkFixup",
    z.object({
      at: z.string(),
      backupDir: z.string(),
      actions: z.array(z.object({ kind: fixupActionKind, path: z.string(), why: z.string() })),
      enabledUnits: z.array(z.string()),
      resolvConf: z.string(),
      relabel: z.boolean(),
    }),
    ROLLBACK.dropped,
  ),
  kernelInstall: ovzFact(
    "kernelInstall",
    z.object({ at: z.string(), kernelRelease: z.string(), installed: z.array(z.string()), owner: z.string() }),
    ROLLBACK.dropped,
  ),
  /** The VM's packages restore-vm-packages installed again (version null: the candidate) and those it left out, why. */
  restoredPackages: ovzFact(
    "restoredPackages",
    z.object({
      at: z.string(),
      restored: z.array(z.object({ name: z.string(), version: z.string().nullable() })),
      exceptions: z.array(z.object({ name: z.string(), reason: z.string() })),
      report: z.array(z.string()),
    }),
    ROLLBACK.dropped,
  ),
  /** What the pre-reboot check repaired on the target (each with why), and the warnings it left standing. */
  preRebootCheck: ovzFact(
    "preRebootCheck",
    z.object({
      at: z.string(),
      kernelRelease: z.string(),
      backupDir: z.string(),
      fixed: z.array(z.object({ kind: z.string(), why: z.string() })),
    }),
    ROLLBACK.dropped,
  ),
  vmBeforeCopy: ovzFact("vmBeforeCopy", vmBeforeCopySchema, ROLLBACK.keptToBeforeCopy),
  sourceAtFreeze: ovzFact("sourceAtFreeze", sourceAtFreezeSchema, ROLLBACK.dropped),
  reboot: ovzFact("reboot", rebootOutcomeSchema, ROLLBACK.dropped),
  checkpoints: ovzFact("checkpoints", z.array(checkpointFactSchema), ROLLBACK.keptByAll),
  /**
   * A rollback that reverted a side and has not rewound the journal yet: `run` refuses, `status` says it. Written by
   * the rollback's revert steps; every rollback's rewind drops it (src/journal/rollback-under-way.ts reads it).
   */
  rollbackUnderWay: ovzFact(
    ROLLBACK_UNDER_WAY,
    z.object({
      checkpoint: z.string(),
      sides: z.array(z.enum(["target", "source"])),
      reverted: z.array(z.object({ side: z.enum(["target", "source"]), at: z.string() })),
    }),
    ROLLBACK.dropped,
  ),
} as const;

/** The journal key of every fact, for readers of a raw journal (status, reports, the lab, tests). */
export const FACT = keysOf(OVZ_FACTS);
