import type { Pipeline } from "../../engine/step.js";
import { replaceOriginalStep, type RecordedOverlays } from "../../steps/image/replace-original.js";
import { sparsifyStep } from "../../steps/image/sparsify.js";
import type { SparsifyOptions } from "../../plan/options/image-sparsify.js";

/** `recordedOverlays`: the overlays clone runs journaled on a disk (cloneRecordsIn(stateDir)); none by default. */
export function buildImageSparsify(recordedOverlays?: RecordedOverlays): Pipeline<SparsifyOptions> {
  return {
    kind: "image-sparsify",
    title: "Sparsify a disk image for backup",
    steps: [sparsifyStep, replaceOriginalStep(recordedOverlays)],
  };
}
