import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
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
  it("is refused before anything runs, by every command that takes --connect, and never printed", async () => {
    const base = join(dir, "base.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "8M"]);
    const state = join(dir, "state");
    const uri = "qemu+ssh://root:hunter2@127.0.0.1/system";
    for (const argv of [
      ["image", "clone", base, "--count", "1", "--connect", uri, "--yes", "--state-dir", state],
      ["image", "sparsify", base, "--connect", uri, "--dry-run", "--state-dir", state],
      ["host", "doctor", "--connect", uri, "--state-dir", state],
    ]) {
      let said = "";
      const keep = (chunk: string | Uint8Array) => ((said += String(chunk)), true);
      vi.spyOn(process.stdout, "write").mockImplementation(keep);
      vi.spyOn(process.stderr, "write").mockImplementation(keep);
      expect(await main(argv, (t) => void keep(t)), argv.slice(0, 2).join(" ")).toBe(2);
      vi.restoreAllMocks();
      expect(said).toContain("--connect qemu+ssh://root:***@127.0.0.1/system: the URI holds a password");
      expect(said).toContain("auth.conf");
      expect(said).not.toContain("hunter2");
    }
    const left = await readdir(dir);
    expect(left).toEqual(["base.qcow2"]);
    // Without the password the same clone runs.
    const plain = ["image", "clone", base, "--count", "1", "--connect", "qemu+ssh://root@127.0.0.1/system"];
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    expect(await main([...plain, "--yes", "--state-dir", state], () => undefined)).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith(".qcow2")).length).toBe(2);
  });
});
