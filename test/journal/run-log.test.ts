import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLogAppender } from "../../src/journal/run-log.js";
import { readLogEvents } from "../../src/report/log-events.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
/** A line of a kind the run report and status read. */
const event = JSON.stringify({
  type: "compensation",
  at: "2026-12-01T10:00:00.000Z",
  id: "start-databases-source",
  title: "event mariadb on the source",
  host: "source",
  ok: true,
});

// Found by a new-user trial: a state dir that filled up left the log cut off mid-line, and the next run's first
// line was appended to that piece, making one bad line of both.
describe("run log appends", () => {
  it("event on a line of their own after a log cut off mid-line", async () => {
    const path = join(await tempDir("mudanza-log-"), "m.log.ndjson");
    await writeFile(path, `${event}\n{"type":"output","at":"2026-12-01T10:0`);
    const append = runLogAppender(path);
    await append([event]);
    await append([event]);
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines).toEqual([event, '{"type":"output","at":"2026-12-01T10:0', event, event, ""]);
    expect(await readLogEvents(path)).toHaveLength(3);
  });

  it("add nothing else to a whole log, or to none", async () => {
    const path = join(await tempDir("mudanza-log-"), "m.log.ndjson");
    await runLogAppender(path)([event]);
    await runLogAppender(path)([event, event]);
    expect(await readFile(path, "utf8")).toBe(`${event}\n${event}\n${event}\n`);
  });
});
