import type { Pipeline } from "../../engine/step.js";
import type { VsPlan } from "../../steps/vserver-to-openvz/context.js";
import { disableGuestStep } from "../../steps/vserver-to-openvz/disable-guest.js";
import { fixupStep } from "../../steps/vserver-to-openvz/fixup.js";
import { inventoryStep } from "../../steps/vserver-to-openvz/read-inventory.js";
import { startStep } from "../../steps/vserver-to-openvz/start.js";
import { finalSyncStep, liveSyncStep } from "../../steps/vserver-to-openvz/sync.js";
import { writeConfStep } from "../../steps/vserver-to-openvz/write-conf.js";

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
