import { z } from "zod";
import { defineFact, keysOf } from "../../engine/facts.js";

/** Every journal fact of the image-sparsify pipeline, declared once with its shape. */
export const SPARSIFY_FACTS = {
  done: defineFact("done", z.boolean()),
  replaced: defineFact("replaced", z.boolean()),
  accel: defineFact("accel", z.enum(["kvm", "tcg"])),
  allocatedBefore: defineFact("allocatedBefore", z.number().nullable()),
  allocatedAfter: defineFact("allocatedAfter", z.number().nullable()),
  /** The disk as virt-sparsify read it (disk-identity.ts): --replace swaps only that disk for the copy. */
  diskReadAs: defineFact("diskReadAs", z.string().nullable()),
  /**
   * The copy as --replace was about to move it onto the disk (disk-identity.ts's copyIdentity), journaled
   * before the `mv`: a disk found so later, the copy gone, was replaced even if `replaced` was never recorded.
   */
  copyMovedAs: defineFact("copyMovedAs", z.string().nullable()),
  /** The disk's backing file when it is an overlay: its copy is standalone and holds that data too. */
  standaloneOf: defineFact("standaloneOf", z.string().nullable()),
  filesystems: defineFact(
    "filesystems",
    z.array(z.object({ device: z.string(), type: z.string(), entries: z.number().nullable() })),
  ),
} as const;

/** The journal key of every fact, for readers of a raw journal (the CLI's summary, tests). */
export const FACT = keysOf(SPARSIFY_FACTS);

/** Every journal fact of the image-clone pipeline. */
export const CLONE_FACTS = {
  /**
   * The overlays a clone run made on its base: `image sparsify --replace` reads them from the state dir's
   * journals, since a folder scan finds only the overlays beside the base.
   */
  overlays: defineFact("overlays", z.object({ base: z.string(), paths: z.array(z.string()) })),
  /**
   * Each clone this journal's runs put in place, recorded as soon as it is: a resumed run keeps its own clones
   * (a killed run's undo keeps one a VM wrote to), while an overlay of the base it did not make blocks.
   */
  placed: defineFact("placed", z.array(z.string())),
} as const;
