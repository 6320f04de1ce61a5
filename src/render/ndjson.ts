import type { Writable } from "node:stream";
import { eventLine } from "../engine/event-wire.js";
import type { PipelineEvent } from "../engine/events.js";
import type { Renderer } from "./renderer.js";
import { noteEndWritten } from "./ndjson-end.js";
import { ProgressThrottle } from "./throttle.js";

/** `--json`: one event per line, as `mudanza schema events` prints it (with its version); progress at most every 500 ms per step. */
export function createNdjsonRenderer(out: Writable = process.stdout, throttleMs = 500): Renderer {
  const throttle = new ProgressThrottle(throttleMs);
  const write = (event: PipelineEvent): void => {
    out.write(eventLine(event) + "\n");
    if (event.type === "pipeline-end") noteEndWritten();
  };
  return {
    sink(event) {
      if (event.type === "progress" && !throttle.admit(event.stepId, event.progress.percent === 100)) return;
      write(event);
    },
    async close() {},
  };
}
