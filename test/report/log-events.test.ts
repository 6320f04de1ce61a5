import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { readLogEvents } from "../../src/report/log-events.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();

/** A compensation event (a kind reports keep) whose message is `message`. */
const compensation = (i: number, message: string) =>
  JSON.stringify({
    type: "compensation",
    at: "2026-01-01T00:00:00.000Z",
    id: `c${i}`,
    title: "t",
    host: "h",
    ok: true,
    message,
  });
const output = (i: number) =>
  JSON.stringify({ type: "output", at: "2026-01-01T00:00:00.000Z", stepId: "s", line: `ñ ${i}` });

/** The lines readline gives for the file, as the reader did before (createReadStream + readline, crlfDelay Infinity). */
async function readlineLines(path: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity }))
    lines.push(line);
  return lines;
}

/** Writes `text` as a log and reads it back both ways. */
async function bothWays(text: string) {
  const path = join(await tempDir("mudanza-log-events-"), "run.log.ndjson");
  await writeFile(path, text);
  const expected = (await readlineLines(path)).flatMap((line) => {
    try {
      const event = JSON.parse(line) as { type: string };
      return event.type === "compensation" ? [event] : [];
    } catch {
      return [];
    }
  });
  return { events: await readLogEvents(path), expected };
}

describe("readLogEvents", () => {
  it("keeps the reported kinds of a log far larger than one read, with multibyte text across every read's edge", async () => {
    // Lines of varied length (up to ~200 KB), so newlines and 2-, 3- and 4-byte characters fall on the reads' edges.
    const lines = Array.from({ length: 600 }, (_, i) =>
      i % 3 === 0 ? output(i) : compensation(i, "é€😀".repeat(i % 50 === 1 ? 20_000 : (i * 7) % 300)),
    );
    const { events, expected } = await bothWays(lines.join("\n") + "\n");
    expect(events).toHaveLength(400);
    expect(events).toEqual(expected);
    expect((events[0] as { message: string }).message).toBe("é€😀".repeat(20_000));
  });

  it("splits lines where readline does (\\r\\n and a lone \\r) and skips a torn last line", async () => {
    const text = [
      compensation(1, "a"),
      "\r\n",
      compensation(2, "b"),
      "\r",
      compensation(3, "c"),
      "\n\n",
      '{"type":"compensation","at":"20',
    ];
    const { events, expected } = await bothWays(text.join(""));
    expect(events.map((e) => (e as { id: string }).id)).toEqual(["c1", "c2", "c3"]);
    expect(events).toEqual(expected);
  });

  it("reads a last line without a newline, and a missing log as no events", async () => {
    const { events } = await bothWays(compensation(1, "last"));
    expect(events).toHaveLength(1);
    const dir = await tempDir("mudanza-log-events-");
    expect(await readLogEvents(join(dir, "missing.log.ndjson"))).toEqual([]);
    await mkdir(join(dir, "a-directory"));
    await expect(readLogEvents(join(dir, "a-directory"))).rejects.toThrow(/EISDIR/);
  });
});
