import type { Pipeline } from "../../engine/step.js";
import { createOverlaysStep } from "../../steps/image/create-overlays.js";
import { defineDomainsStep } from "../../steps/image/define-domains.js";
import { protectBaseStepWith } from "../../steps/image/protect-base.js";
import type { RecordedOverlays } from "../../steps/image/replace-original.js";
import type { CloneOptions } from "../../plan/options/image-clone.js";

/** `recordedOverlays`: the clones other clone runs journaled on a base (cloneRecordsIn(stateDir)); none by default. */
export function buildImageClone(recordedOverlays?: RecordedOverlays): Pipeline<CloneOptions> {
  return {
    kind: "image-clone",
    title: "Clone a base image into overlays",
    steps: [protectBaseStepWith(recordedOverlays), createOverlaysStep, defineDomainsStep],
  };
}
