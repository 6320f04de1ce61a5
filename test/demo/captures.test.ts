import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const DEMO = join(ROOT, "docs/demo");

/** The recorded session (test/demo/record.ts) is in the repository, indexed, and linked from the README. */
describe("the recorded demo (issue 14)", () => {
  it("every capture is listed in docs/demo/README.md, starts with the typed command, and the README links the index", async () => {
    const index = await readFile(join(DEMO, "README.md"), "utf8");
    const listed = [...index.matchAll(/^- \[([^\]]+)\]\(\1\): .+$/gm)].map((m) => m[1]);
    const files = (await readdir(DEMO)).filter((f) => f.endsWith(".txt")).sort();
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(listed).toEqual(files);
    for (const file of files) {
      const text = await readFile(join(DEMO, file), "utf8");
      expect(text, file).toMatch(/^\$ (mudanza |\(n\))/);
      expect(text.split("\n").length, file).toBeGreaterThan(3);
    }
    expect(await readFile(join(ROOT, "README.md"), "utf8")).toContain("(docs/demo/README.md)");
  });
});
