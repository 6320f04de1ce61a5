import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/journal/atomic-write.js";
import { useFailingWrites } from "../support/failing-writes.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();
const failWrites = useFailingWrites();

describe("writeFileAtomic (found by a new-user trial: each failed run left a .NAME.PID.tmp in a full state dir)", () => {
  it("a write cut short by a full disk removes its temp file and leaves the old content", async () => {
    const dir = await tempDir("mudanza-atomic-");
    const path = join(dir, "m.journal.json");
    await writeFile(path, "old\n");
    await failWrites((text) => text === "new content\n");
    await expect(writeFileAtomic(path, "new content\n")).rejects.toMatchObject({ code: "ENOSPC" });
    expect(await readdir(dir)).toEqual(["m.journal.json"]);
    expect(await readFile(path, "utf8")).toBe("old\n");
  });

  it("a rename that fails removes its temp file too", async () => {
    const dir = await tempDir("mudanza-atomic-");
    const path = join(dir, "m.journal.json");
    // A folder where the file goes: rename cannot put a file over it.
    await writeFile(join(dir, "keep"), "");
    await mkdir(path);
    await expect(writeFileAtomic(path, "new\n")).rejects.toMatchObject({ code: "EISDIR" });
    expect((await readdir(dir)).sort()).toEqual(["keep", "m.journal.json"]);
  });
});
