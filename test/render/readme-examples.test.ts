import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { pipelineEventSchema } from "../../src/engine/events.js";

describe("documented NDJSON examples", () => {
  it("every example line in src/render/README.md is a valid event", async () => {
    const text = await readFile(resolve(import.meta.dirname, "../../src/render/README.md"), "utf8");
    const lines = text.split("\n").filter((l) => l.startsWith('{"type"'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(pipelineEventSchema.safeParse(JSON.parse(line)).success, line).toBe(true);
  });
});
