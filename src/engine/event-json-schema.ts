import { z } from "zod";
import { EVENTS_SCHEMA_VERSION } from "./event-wire.js";
import { pipelineEventSchema } from "./events.js";

/**
 * The JSON Schema of one NDJSON event line, as `mudanza schema events` prints it: the event union of
 * events.ts, each event with the `version` that eventLine() stamps. Draft-07, which most validators read.
 */
export function eventsJsonSchema(): Record<string, unknown> {
  const version = z
    .literal(EVENTS_SCHEMA_VERSION)
    .describe("Schema version of the event stream; raised when a field changes meaning or goes away");
  const stamped = pipelineEventSchema.options.map((event) => event.extend({ version }));
  const line = z.discriminatedUnion(
    "type",
    stamped as unknown as [(typeof stamped)[number], ...(typeof stamped)[number][]],
  );
  return {
    ...z.toJSONSchema(line, { target: "draft-7" }),
    title: "mudanza NDJSON event (one per line of --json output and of <state>/<id>.log.ndjson)",
  };
}
