import type { EventSink } from "../engine/events.js";
import type { GatePrompt } from "../engine/runner.js";

/** A listener on the runner's events; interactive renderers also answer gates. */
export interface Renderer {
  sink: EventSink;
  confirm?: (prompt: GatePrompt) => Promise<boolean>;
  /** Flushes and restores the terminal. */
  close(): Promise<void>;
}
