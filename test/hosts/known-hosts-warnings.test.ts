import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readKnownHosts } from "../../src/hosts/ssh/establish.js";

// A real OpenSSH 9.2 ed25519 public key (the same one test/hosts/ssh-known-hosts.test.ts uses).
const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII8a31su4aHAQPFeuw9NgZlZlpdIvQQegZM4xhld2tMY";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("known_hosts lines that cannot be read", () => {
  it("are reported as a warning naming file and line, and the good lines still count", async () => {
    dir = await mkdtemp(join(tmpdir(), "mudanza-kh-"));
    const file = join(dir, "known_hosts");
    // Line 2: the key was cut when pasted; line 3: a marker typo. ssh skips both; we say so.
    await writeFile(
      file,
      `old.example.org ${ED}\nnew.example.org ssh-ed25519 AAAAC3NzaC1lZDI1\n@revokd old.example.org ${ED}\n`,
    );
    const warnings: string[] = [];
    const entries = await readKnownHosts([file], (m) => warnings.push(m));
    expect(entries.map((e) => e.hosts)).toEqual(["old.example.org"]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`${file}:2`);
    expect(warnings[1]).toContain(`${file}:3`);
  });
});
