import type { RunMode } from "../engine/runner.js";
import type { Renderer } from "../render/renderer.js";

export interface RendererChoice {
  mode: RunMode;
  json?: boolean;
  dryRun?: boolean;
  /** The TUI's q / Ctrl-C stops the run through this. */
  abort: (signal: "SIGINT" | "SIGTERM") => void;
}

/** Heavy renderers (Ink, React, listr2) are imported only when chosen. */
export async function createRenderer(choice: RendererChoice): Promise<Renderer> {
  if (choice.json) return (await import("../render/ndjson.js")).createNdjsonRenderer();
  if (choice.dryRun) return (await import("../render/plain.js")).createPlainRenderer(process.stderr);
  return (await import("../render/plain.js")).createPlainRenderer();
}
