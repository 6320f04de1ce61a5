import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { PipelineEvent } from "../engine/events.js";
import { REPORTED_EVENT_SHAPES } from "./log-event-shape.js";

/**
 * Reads the run log (`<id>.log.ndjson`) line by line without loading it whole; a missing file is no
 * events, a damaged line (a crash mid-write) is skipped. Only the kinds a report needs are kept (output and
 * progress lines, most of a log, are skipped unparsed), each checked by its light shape.
 */
export async function readLogEvents(path: string): Promise<PipelineEvent[]> {
  const events: PipelineEvent[] = [];
  let stream;
  try {
    stream = createReadStream(path, { encoding: "utf8" });
    await new Promise<void>((resolve, reject) => {
      stream!.once("open", () => resolve());
      stream!.once("error", reject);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    const type = /^\{"type":"([a-z-]+)"/.exec(line)?.[1];
    const shape = type === undefined ? undefined : REPORTED_EVENT_SHAPES.get(type);
    if (!shape) continue;
    try {
      const parsed = shape(JSON.parse(line), []);
      if (parsed.ok) events.push(parsed.value as PipelineEvent);
    } catch {
      // a torn last line
    }
  }
  return events;
}
