import type { StepContext } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";
import type { MappedSetting } from "../../vserver/ctid-conf-mapping.js";
import type { Listener } from "../../vserver/listeners.js";
import type { GuestRelease } from "../../vserver/release.js";
import { FACT as COMMON_FACT } from "../../steps/common/plan.js";

export type VsPlan = PlanOf<"vserver-to-openvz">;
export type VsContext = StepContext<VsPlan>;

/** Everything the later steps need, gathered read-only by the inventory and kept in the journal. */
export interface Inventory {
  guest: string;
  ctid: number;
  confDir: string;
  vdir: string;
  /** The guest's context id when static. */
  context?: number;
  running: boolean;
  mark?: string;
  hostname?: string;
  /** uts/domainname: the NIS domain util-vserver set at start (a fix-up writes it into the guest's config). */
  nisDomain?: string;
  ips: string[];
  release: GuestRelease;
  arch: string;
  osTemplate?: string;
  nameservers: string[];
  searchDomains: string[];
  /** Process names running in the guest at inventory time (services to find again in the container). */
  services: string[];
  /** TCP sockets listening in the guest at inventory time (`ss -ltn`), to reach again from the node. */
  listeners?: Listener[];
  diskUsedKb?: number;
  /** Node paths, from /etc/vz/vz.conf with $VEID expanded. */
  privateDir: string;
  rootDir: string;
  confPath: string;
  sampleName?: string;
  samplePath?: string;
  settings: MappedSetting[];
  unmapped: string[];
}

/** Journal fact keys of this pipeline. */
export const FACT = {
  inventory: "vserver.inventory",
  livePasses: "vserver.livePasses",
  finalSyncAt: "vserver.finalSyncAt",
  fixups: "vserver.fixups",
  cutoverAt: "vserver.cutoverAt",
  /** When `vserver NAME stop` returned; with cutoverAt, how long the service was down. */
  guestStoppedAt: "vserver.guestStoppedAt",
  downtimeSec: "vserver.downtimeSec",
  /** The report's freeze window: guest stopped -> container answering on its addresses and ports. */
  freezeWindowSec: COMMON_FACT.freezeWindowSec,
} as const;

import { cmd, sh } from "../../hosts/quote.js";

/**
 * Compensation commands are idempotent: one that fails stays in the journal and runs first next time,
 * so starting a guest that already runs (or stopping a stopped container) must succeed.
 */
export const restartGuestCommand = (guest: string): string => `${cmd("vserver", guest, "running")} || ${cmd("vserver", guest, "start")}`;
export const stopContainerCommand = (ctid: number): string => sh`if vzctl status ${ctid} | grep -qw running; then vzctl stop ${ctid}; fi`;

export const COMPENSATION = {
  restartGuest: "vserver-restart-guest",
  stopContainer: "vserver-stop-container",
} as const;

/** Where the fix-ups keep what they replace, inside the container (root's home). */
export const FIXUP_BACKUP_REL = "root/mudanza-backup";
