import { z } from "zod";
import { defineFact, keysOf } from "../../engine/facts.js";

/** Every journal fact of the VServer -> OpenVZ pipeline, declared once with its shape. */
const guestReleaseSchema = z.object({
  family: z.enum(["rhel", "debian", "suse", "gentoo", "unknown"]),
  id: z.string(),
  version: z.string(),
  pretty: z.string(),
  source: z.string(),
});

export const inventorySchema = z.object({
  guest: z.string(),
  ctid: z.number().int(),
  confDir: z.string(),
  vdir: z.string(),
  /** The guest's context id when static. */
  context: z.number().int().optional(),
  running: z.boolean(),
  mark: z.string().optional(),
  hostname: z.string().optional(),
  /** uts/domainname: the NIS domain util-vserver set at start (a fix-up writes it into the guest's config). */
  nisDomain: z.string().optional(),
  ips: z.array(z.string()),
  release: guestReleaseSchema,
  arch: z.string(),
  osTemplate: z.string().optional(),
  nameservers: z.array(z.string()),
  searchDomains: z.array(z.string()),
  /** Process names running in the guest at inventory time (services to find again in the container). */
  services: z.array(z.string()),
  /** TCP sockets listening in the guest at inventory time (`ss -ltn`), to reach again from the node. */
  listeners: z.array(z.object({ address: z.string(), port: z.number().int() })).optional(),
  diskUsedKb: z.number().optional(),
  /** Node paths, from /etc/vz/vz.conf with $VEID expanded. */
  privateDir: z.string(),
  rootDir: z.string(),
  confPath: z.string(),
  sampleName: z.string().optional(),
  samplePath: z.string().optional(),
  settings: z.array(z.object({ key: z.string(), value: z.string(), from: z.string(), why: z.string() })),
  unmapped: z.array(z.string()),
});
/** Everything the later steps need, gathered read-only by the inventory and kept in the journal. */
export type Inventory = z.infer<typeof inventorySchema>;

export const VS_FACTS = {
  inventory: defineFact("inventory", inventorySchema),
  livePasses: defineFact("livePasses", z.array(z.number())),
  /**
   * Node paths this migration creates (its private area, its CTID.conf), recorded just before it creates them:
   * a later probe takes them for the migration's own, not for a CTID another container took.
   */
  madeOnNode: defineFact("madeOnNode", z.array(z.string())),
  finalSyncAt: defineFact("finalSyncAt", z.string()),
  fixups: defineFact(
    "fixups",
    z.object({
      backupDir: z.string(),
      applied: z.array(z.object({ id: z.string(), title: z.string(), why: z.string(), changes: z.array(z.string()) })),
    }),
  ),
  cutoverAt: defineFact("cutoverAt", z.string()),
  /** When `vserver NAME stop` returned; with cutoverAt, how long the service was down. */
  guestStoppedAt: defineFact("guestStoppedAt", z.string()),
  downtimeSec: defineFact("downtimeSec", z.number()),
  /** The report's freeze window: guest stopped -> container answering on its addresses and ports (the key both pipelines' reports read). */
  freezeWindowSec: defineFact("freezeWindowSec", z.number()),
} as const;

/** The journal key of every fact, for readers of a raw journal (status, reports, tests). */
export const FACT = keysOf(VS_FACTS);
