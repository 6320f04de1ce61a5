import type { Pipeline } from "../../engine/step.js";
import { inspectChainStep, type InfoOptions } from "../../steps/image/inspect-chain.js";

export function buildImageInfo(): Pipeline<InfoOptions> {
  return { kind: "image-info", title: "Disk image backing chain and sizes", steps: [inspectChainStep] };
}
