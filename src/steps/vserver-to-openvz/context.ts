import { cmd, sh } from "../../hosts/quote.js";
import type { StepContext } from "../../engine/step.js";
import type { PlanOf } from "../../plan/schema.js";

export type VsPlan = PlanOf<"vserver-to-openvz">;
export type VsContext = StepContext<VsPlan>;

export type { Inventory } from "./facts.js";
/** Journal fact keys of this pipeline (declared with their shapes in facts.ts). */
export { FACT } from "./facts.js";

/**
 * Compensation commands are idempotent: one that fails stays in the journal and runs first next time,
 * so starting a guest that already runs (or stopping a stopped container) must succeed.
 */
export const restartGuestCommand = (guest: string): string =>
  `${cmd("vserver", guest, "running")} || ${cmd("vserver", guest, "start")}`;
export const stopContainerCommand = (ctid: number): string =>
  sh`if vzctl status ${ctid} | grep -qw running; then vzctl stop ${ctid}; fi`;

export const COMPENSATION = {
  restartGuest: "vserver-restart-guest",
  stopContainer: "vserver-stop-container",
} as const;

/**
 * An earlier run stopped the guest for its final pass and left its undo pending (it was killed, or the undo
 * failed): a run starts the guest first. Only a dry run sees it; a real run has done it before any probe.
 */
export const guestRestartPending = (ctx: VsContext): boolean =>
  ctx.compensations.pending().some((c) => c.id === COMPENSATION.restartGuest);

/** Where the fix-ups keep what they replace, inside the container (root's home). */
export const FIXUP_BACKUP_REL = "root/mudanza-backup";
