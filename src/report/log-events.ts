import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { LineSplitter } from "../hosts/lines.js";
import type { SummarizedEvent } from "./run-summary.js";
import { REPORTED_EVENT_SHAPES } from "./log-event-shape.js";

/** How much of the log one read takes: a log can be far larger than memory should hold at once. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Reads the run log (`<id>.log.ndjson`) line by line without loading it whole; a missing file is no
 * events, a damaged line (a crash mid-write) is skipped. Only the kinds a report needs are kept (output and
 * progress lines, most of a log, are skipped unparsed), each checked by its light shape.
 * Synchronous reads in chunks, not a stream and readline: `status` starts without node's stream and
 * readline modules and without the thread pool a stream's reads wait on.
 */
export async function readLogEvents(path: string): Promise<SummarizedEvent[]> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const events: SummarizedEvent[] = [];
  try {
    forEachLine(fd, (line) => {
      const event = reportedEvent(line);
      if (event) events.push(event);
    });
  } finally {
    closeSync(fd);
  }
  return events;
}

/** The event a log line holds when its kind is one a report needs and it has that kind's shape. */
function reportedEvent(line: string): SummarizedEvent | undefined {
  const type = /^\{"type":"([a-z-]+)"/.exec(line)?.[1];
  const shape = type === undefined ? undefined : REPORTED_EVENT_SHAPES.get(type);
  if (!shape) return undefined;
  try {
    const parsed = shape(JSON.parse(line), []);
    return parsed.ok ? (parsed.value as SummarizedEvent) : undefined;
  } catch {
    return undefined; // a torn last line
  }
}

/**
 * Calls `onLine` with each line of the file, split as command output is (\n, \r\n or a lone \r: LineSplitter),
 * decoded across reads by a StringDecoder, so a UTF-8 character never straddles two lines.
 */
function forEachLine(fd: number, onLine: (line: string) => void): void {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  const decoder = new StringDecoder("utf8");
  const lines = new LineSplitter(onLine);
  for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk))
    lines.push(decoder.write(chunk.subarray(0, read)));
  lines.push(decoder.end());
  lines.end();
}
