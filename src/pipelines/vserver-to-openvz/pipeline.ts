import type { Pipeline } from "../../engine/step.js";
import type { VsPlan } from "./context.js";
import { disableGuestStep } from "./step-disable-guest.js";
import { fixupStep } from "./step-fixup.js";
import { inventoryStep } from "./step-inventory.js";
import { startStep } from "./step-start.js";
import { finalSyncStep, liveSyncStep } from "./step-sync.js";
import { writeConfStep } from "./step-write-conf.js";

/**
 * Linux-VServer guest -> OpenVZ container, the by-hand procedure as checked steps: read the guest,
 * copy it live, stop it and copy again, write CTID.conf, fix the tree up, start the container and
 * check it, then keep the old guest from coming back at boot.
 */
export function buildVserverToOpenvz(_plan: VsPlan): Pipeline<VsPlan> {
  return {
    kind: "vserver-to-openvz",
    title: "Linux-VServer guest to OpenVZ container",
    steps: [inventoryStep, liveSyncStep, finalSyncStep, writeConfStep, fixupStep, startStep, disableGuestStep],
  };
}
