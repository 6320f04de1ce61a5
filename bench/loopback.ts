import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fingerprintOf, knownHostsLines } from "../src/steps/ssh-access/host-keys.js";
import type { RsyncSshOptions } from "../src/steps/rsync/index.js";
import { startSshd } from "../test/support/sshd.js";

/** A throwaway sshd on 127.0.0.1 and the ssh options the pipeline's rsync would use to reach it. */
export async function startLoopback(scratch: string): Promise<{ ssh: RsyncSshOptions; stop: () => Promise<void> }> {
  const sshd = await startSshd({ hostKeyTypes: ["ed25519"], logLevel: "INFO" });
  try {
    const knownHostsFile = join(scratch, "known_hosts");
    const keys = sshd.hostKeys.map((k) => {
      const [type, base64] = k.publicKey.trim().split(/\s+/);
      return { file: "", type: type!, base64: base64!, fingerprint: fingerprintOf(base64!) };
    });
    await writeFile(knownHostsFile, knownHostsLines("127.0.0.1", sshd.port, keys).join("\n") + "\n", { mode: 0o600 });
    return {
      ssh: { user: "root", address: "127.0.0.1", port: sshd.port, identityFile: sshd.userKey, knownHostsFile },
      stop: () => sshd.stop(),
    };
  } catch (error) {
    await sshd.stop();
    throw error;
  }
}
