import type { PipelineEvent } from "./events.js";

/**
 * The version of the NDJSON event stream (`--json` and the run log): raised when a field changes meaning
 * or goes away (adding a field or an event type does not raise it). `mudanza schema events` prints it.
 */
export const EVENTS_SCHEMA_VERSION = 1;

/**
 * One event as one NDJSON line: the only place events are stamped with the schema version, used by the
 * `--json` renderer and the run log alike. `type` stays first, `version` last, so a line reads as before.
 */
export function eventLine(event: PipelineEvent): string {
  return JSON.stringify({ ...event, version: EVENTS_SCHEMA_VERSION });
}
