import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalHost } from "../../../src/hosts/local-host.js";
import { fingerprintOf, knownHostsLines, type PublicHostKey } from "../../../src/steps/ssh-access/host-keys.js";
import { rsyncCommand, runRsyncPass } from "../../../src/steps/rsync/index.js";
import { startSshd, type TestSshd } from "../../support/sshd.js";
import { REAL_HOST_TEST_TIMEOUT } from "../../support/timeouts.js";

/** The push the pipeline runs on the source, for real: rsync over ssh to a loopback sshd, host key pinned. */
let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startSshd({ hostKeyTypes: ["ed25519", "ecdsa"], logLevel: "INFO" });
}, 60_000);
afterAll(async () => {
  await sshd?.stop();
});

const asKey = (line: string): PublicHostKey => {
  const [type, base64] = line.trim().split(/\s+/);
  return { file: "", type: type!, base64: base64!, fingerprint: fingerprintOf(base64!) };
};

async function push(knownHosts: string[]) {
  const base = await mkdtemp(join(tmpdir(), "mudanza-push-"));
  await mkdir(join(base, "src/etc"), { recursive: true });
  await writeFile(join(base, "src/etc/hostname"), "web1\n");
  await mkdir(join(base, "dst"));
  const knownHostsFile = join(base, "known_hosts");
  await writeFile(knownHostsFile, knownHosts.join("\n") + "\n", { mode: 0o600 });
  const command = rsyncCommand({
    from: join(base, "src"),
    to: join(base, "dst"),
    ssh: { user: "root", address: "127.0.0.1", port: sshd.port, identityFile: sshd.userKey, knownHostsFile },
    excludes: [{ path: "/tmp", reason: "test" }],
    keepDirlinks: true,
  });
  const lines: string[] = [];
  const result = await runRsyncPass(
    new LocalHost("source"),
    command,
    "push",
    { progress: () => undefined, output: (l) => lines.push(l) },
    { timeoutMs: 60_000 },
  );
  return { base, result, lines };
}

describe("rsync over ssh with the migration transport", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("our fingerprints of the server's keys equal ssh-keygen's", () => {
    for (const key of sshd.hostKeys) expect(asKey(key.publicKey).fingerprint).toBe(key.fingerprint);
  });

  it("copies when known_hosts pins the server's keys", async () => {
    const keys = sshd.hostKeys.map((k) => asKey(k.publicKey));
    const { base, result, lines } = await push(knownHostsLines("127.0.0.1", sshd.port, keys));
    expect(result.code, lines.join("\n")).toBe(0);
    expect(await readFile(join(base, "dst/etc/hostname"), "utf8")).toBe("web1\n");
  }, 60_000);

  it("refuses a server whose key is not pinned (ssh fails, nothing copied)", async () => {
    const impostor = await sshd.generateKey("impostor", "ed25519");
    const { base, result, lines } = await push(knownHostsLines("127.0.0.1", sshd.port, [asKey(impostor.publicKey)]));
    // rsync reports the dead ssh as 255, or as 12 when it notices the closed stream first.
    expect([12, 255]).toContain(result.code);
    expect(result.stderrTail).toMatch(/ssh connection failed|error in rsync protocol data stream/);
    expect(lines.join("\n")).toMatch(/Host key verification failed/);
    await expect(readFile(join(base, "dst/etc/hostname"), "utf8")).rejects.toThrow();
  }, 60_000);
});
