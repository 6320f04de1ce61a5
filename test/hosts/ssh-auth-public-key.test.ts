import { execFile } from "node:child_process";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { planAuthentication } from "../../src/hosts/ssh/auth.js";

const run = promisify(execFile);
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

const request = (file: string) => ({
  user: "root",
  identityFiles: [file],
  identityFilesConfigured: true,
  identitiesOnly: true,
  who: "source",
});

describe("identity files (found by a new-user trial)", () => {
  it("a public key named as the identity file is refused as such, not offered to the server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-auth-"));
    dirs.push(dir);
    const key = join(dir, "id_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    await expect(planAuthentication(request(`${key}.pub`), undefined)).rejects.toThrow(
      `source: identity file ${key}.pub is a public key (ssh-ed25519); name the private key file`,
    );
    const plan = await planAuthentication(request(key), undefined);
    expect(plan.offered).toEqual([`key file ${key}`]);
  });

  it("a private key others may read is refused, as OpenSSH ignores it, with the chmod that fixes it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-auth-"));
    dirs.push(dir);
    const key = join(dir, "id_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    await chmod(key, 0o644);
    await expect(planAuthentication(request(key), undefined)).rejects.toThrow(
      `source: identity file ${key} is readable by others (permissions 0644); ssh ignores such a key. Run: chmod 600 ${key}`,
    );
    await chmod(key, 0o600);
    expect((await planAuthentication(request(key), undefined)).offered).toEqual([`key file ${key}`]);
  });

  // OpenSSH checks the mode only of a key the user owns (sshkey_perm_ok); changing the owner needs root.
  it.runIf(process.getuid?.() === 0)("a key owned by someone else is not judged by its mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mudanza-auth-"));
    dirs.push(dir);
    const key = join(dir, "id_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    await chmod(key, 0o644);
    await chown(key, 65534, 65534);
    expect((await planAuthentication(request(key), undefined)).offered).toEqual([`key file ${key}`]);
  });
});
