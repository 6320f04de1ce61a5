/**
 * The test sshd's session environment: every variable a test asks for reaches the session, beside TMPDIR.
 * sshd keeps only the first SetEnv line it reads, so a second one (a test's PATH to its stand-ins) was
 * dropped without a word and the fault matrix waited forever in CI for a stand-in that never ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshHost } from "../../src/hosts/ssh/ssh-host.js";
import { endpointSchema } from "../../src/plan/endpoint.js";
import { isolateSshClient } from "../support/ssh-client-isolation.js";
import { startSshd, type TestSshd } from "../support/sshd.js";
import { REAL_HOST_TEST_TIMEOUT } from "../support/timeouts.js";

let sshd: TestSshd;
let restoreSshClient: (() => void) | undefined;

beforeAll(async () => {
  sshd = await startSshd({ logLevel: "INFO", env: { MUDANZA_TEST_A: "first", MUDANZA_TEST_B: "second" } });
  restoreSshClient = await isolateSshClient(sshd.dir);
});

afterAll(async () => {
  restoreSshClient?.();
  await sshd?.stop();
});

describe("test sshd session environment", { timeout: REAL_HOST_TEST_TIMEOUT }, () => {
  it("sets every variable asked for and TMPDIR in one SetEnv", async () => {
    const host = await SshHost.connect(
      endpointSchema.parse({
        host: "127.0.0.1",
        port: sshd.port,
        user: "root",
        identityFile: sshd.userKey,
        hostKey: sshd.hostKeys[0]!.fingerprint,
      }),
      "source",
    );
    try {
      const seen = await host.exec('printf "%s|%s|%s" "$MUDANZA_TEST_A" "$MUDANZA_TEST_B" "$TMPDIR"');
      expect(seen.stdout).toBe(`first|second|${sshd.dir}`);
    } finally {
      await host.close();
    }
  });

  it("refuses a SetEnv line in extraConfig, which sshd would ignore", async () => {
    await expect(startSshd({ extraConfig: ["SetEnv PATH=/nowhere"] })).rejects.toThrow(/env/);
  });
});
