import type { Pipeline } from "../../engine/step.js";
import { createOverlaysStep } from "../../steps/image/create-overlays.js";
import { defineDomainsStep } from "../../steps/image/define-domains.js";
import { protectBaseStep } from "../../steps/image/protect-base.js";
import type { CloneOptions } from "../../plan/options/image-clone.js";

export function buildImageClone(): Pipeline<CloneOptions> {
  return {
    kind: "image-clone",
    title: "Clone a base image into overlays",
    steps: [protectBaseStep, createOverlaysStep, defineDomainsStep],
  };
}
