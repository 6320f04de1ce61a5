import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { pipelineEventSchema, type PipelineEvent } from "../engine/events.js";

/** Event kinds a report needs; output and progress lines (most of a log) are skipped while reading. */
const KEPT = new Set(["pipeline-start", "step-probed", "step-end", "compensation", "pipeline-end", "prompt-answer"]);

/**
 * Reads the run log (`<id>.log.ndjson`) line by line without loading it whole; a missing file is no
 * events, a damaged line (a crash mid-write) is skipped.
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
    if (!type || !KEPT.has(type)) continue;
    try {
      const parsed = pipelineEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // a torn last line
    }
  }
  return events;
}
