import { closeSync, openSync, readSync } from "node:fs";
import type { PipelineEvent } from "../engine/events.js";
import { REPORTED_EVENT_SHAPES } from "./log-event-shape.js";

/** How much of the log one read takes: a log can be far larger than memory should hold at once. */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads the run log (`<id>.log.ndjson`) line by line without loading it whole; a missing file is no
 * events, a damaged line (a crash mid-write) is skipped. Only the kinds a report needs are kept (output and
 * progress lines, most of a log, are skipped unparsed), each checked by its light shape.
 * Synchronous reads in chunks, not a stream and readline: `status` starts without node's stream and
 * readline modules and without the thread pool a stream's reads wait on.
 */
export async function readLogEvents(path: string): Promise<PipelineEvent[]> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const events: PipelineEvent[] = [];
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
function reportedEvent(line: string): PipelineEvent | undefined {
  const type = /^\{"type":"([a-z-]+)"/.exec(line)?.[1];
  const shape = type === undefined ? undefined : REPORTED_EVENT_SHAPES.get(type);
  if (!shape) return undefined;
  try {
    const parsed = shape(JSON.parse(line), []);
    return parsed.ok ? (parsed.value as PipelineEvent) : undefined;
  } catch {
    return undefined; // a torn last line
  }
}

/**
 * Calls `onLine` with each line of the file, split where readline splits (\n, \r\n or a lone \r). Lines
 * are cut at newline bytes before they are decoded, so a UTF-8 character never straddles two reads.
 */
function forEachLine(fd: number, onLine: (line: string) => void): void {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let rest = Buffer.alloc(0);
  const emit = (bytes: Buffer) => {
    const text = bytes.toString("utf8");
    const lines = text.split("\r");
    if (text.endsWith("\r")) lines.pop();
    for (const line of lines) onLine(line);
  };
  for (;;) {
    const read = readSync(fd, chunk, 0, CHUNK_BYTES, null);
    if (read === 0) break;
    let bytes = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, read)]) : chunk.subarray(0, read);
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      emit(bytes.subarray(start, end));
      start = end + 1;
    }
    // What follows the last newline waits for the next read (copied: `chunk` is reused).
    bytes = bytes.subarray(start);
    rest = Buffer.from(bytes);
  }
  if (rest.length > 0) emit(rest);
}
