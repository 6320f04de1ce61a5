import type { Pipeline } from "../../engine/step.js";
import { replaceOriginalStep } from "../../steps/image/replace-original.js";
import { sparsifyStep } from "../../steps/image/sparsify.js";
import type { SparsifyOptions } from "../../plan/options/image-sparsify.js";

export function buildImageSparsify(): Pipeline<SparsifyOptions> {
  return {
    kind: "image-sparsify",
    title: "Sparsify a disk image for backup",
    steps: [sparsifyStep, replaceOriginalStep],
  };
}
