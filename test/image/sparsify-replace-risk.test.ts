import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "../support/main-cli.js";
import { useTempDirs } from "../support/temp-dirs.js";

const tempDir = useTempDirs();

// New-user trial 12: the report's "what is overwritten or deleted" was empty although --replace deletes the original.
describe("image sparsify --replace --dry-run", () => {
  it("lists the original's deletion in the risk, with the command that does it; without --replace nothing is", async () => {
    const dir = await tempDir("mudanza-sparsify-risk-");
    const disk = join(dir, "web2.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "8M"]);
    const risk = async (...flags: string[]) => {
      const { out } = await runMain([
        "image",
        "sparsify",
        disk,
        ...flags,
        "--dry-run",
        "--format",
        "json",
        "--state-dir",
        join(dir, "state"),
      ]);
      return (JSON.parse(out) as { risk: { overwrites: string[] } }).risk.overwrites;
    };
    const replacing = await risk("--replace");
    expect(replacing).toHaveLength(1);
    expect(replacing[0]).toContain(
      `deletes, on the local machine: the original disk ${disk}, replaced by the sparsified copy ${join(dir, "web2.sparse.qcow2")}`,
    );
    expect(replacing[0]).toMatch(/mv -f/);
    expect(await risk()).toEqual([]);
  });
});
