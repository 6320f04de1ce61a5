import type { Lab } from "../../src/lab/lab.js";
import { knownHostsLines } from "../../src/lab/keys.js";
import { LAB_NET } from "../../src/lab/recipe.js";
import { cmd, shellQuote } from "../../src/hosts/quote.js";
import {
  authorizeCommand,
  generateKeyCommand,
  KEY_COMMENT,
  KEY_FILE,
  KNOWN_HOSTS_FILE,
  revokeCommand,
} from "../../src/steps/ssh-access/migration-key.js";

/**
 * db-freeze removes the migration key when it ends; the baselines run its final pass's command again, so
 * they put the same kind of key back (made on the source, authorized on the VM, the VM's keys pinned at the
 * address the source pushes to) with the pipeline's own commands. Returns what removes it again.
 */
export async function grantSourcePush(lab: Lab): Promise<() => Promise<void>> {
  // After the copy the VM presents the source's host keys.
  const target = lab.targetWithSourceKeys;
  const revoke = async () => {
    await target.run(revokeCommand("target"));
    await lab.source.run(revokeCommand("source"));
  };
  try {
    await lab.source.run(generateKeyCommand);
    const publicKey = (await lab.source.run(cmd("cat", `${KEY_FILE}.pub`))).trim().split(/\s+/).slice(0, 2);
    await target.run(authorizeCommand(`${publicKey.join(" ")} ${KEY_COMMENT}`));
    const pinned = knownHostsLines(LAB_NET.hostAddress, LAB_NET.vmSshPortVeth, [
      ...lab.images.sourceHostKeys,
      ...lab.images.targetHostKeys,
    ]);
    await lab.source.run(`${cmd("printf", "%s\\n", ...pinned)} > ${shellQuote(KNOWN_HOSTS_FILE)}`);
  } catch (error) {
    await revoke().catch(() => undefined);
    throw error;
  }
  return revoke;
}
