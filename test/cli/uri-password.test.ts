import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "mudanza-uri-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe("a password in a --connect URI (new-user trial 8)", () => {
  it("is in no line the command prints and in no file of the state dir: user:***@ stands for it", async () => {
    const base = join(dir, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    const state = join(dir, "state");
    let said = "";
    const keep = (chunk: string | Uint8Array) => ((said += String(chunk)), true);
    vi.spyOn(process.stdout, "write").mockImplementation(keep);
    vi.spyOn(process.stderr, "write").mockImplementation(keep);
    const uri = "qemu+ssh://root:hunter2@127.0.0.1/system";
    const argv = ["image", "clone", base, "--count", "1", "--connect", uri, "--yes", "--state-dir", state];
    expect(await main(argv, (t) => void keep(t))).toBe(0);
    const files = await readdir(state, { recursive: true, withFileTypes: true });
    const texts = await Promise.all(
      files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), "utf8")),
    );
    const journal = texts.find((t) => t.includes('"planPath"'));
    expect(journal).toContain("qemu+ssh://root:***@127.0.0.1/system");
    for (const text of [said, ...texts]) expect(text).not.toContain("hunter2");
  });
});
