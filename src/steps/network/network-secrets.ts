import { execOk, readOptional, type Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";
import { BACKUP_DIR } from "../rsync/excludes.js";
import type { NetworkFile } from "./network-files.js";

/**
 * Network files that hold a secret (a WPA/VPN/802.1x password in an NM keyfile, ifcfg or netplan) never
 * go into the journal: capture keeps them on the target itself, under the backup directory the copy
 * never touches, and the journal records only where.
 */
export const CAPTURED_DIR = `${BACKUP_DIR}/captured`;

/**
 * A line naming a secret: NM keyfiles (psk=, password=, wep-key0=, [wireguard] private-key=, vpn-secrets
 * like "IPSec secret=" or "Xauth password="), ifcfg and its keys-* files (WPA_PSK=, KEY1=,
 * KEY_PASSPHRASE1=, IEEE_8021X_PASSWORD=), systemd-networkd WireGuard netdevs (PrivateKey=,
 * PresharedKey=) and netplan (password:, wireguard key: / keys: private: / shared:). Matching too much
 * only keeps a file on the target instead of in the journal.
 */
const SECRET_LINE =
  /^\s*([A-Za-z0-9_. -]*(psk|password|passwd|passphrase|secret|wep-key[0-9]?|private-?key|pre-?shared-?key)[A-Za-z0-9_.-]*|keys?[0-9]?|private|shared)\s*[=:]\s*\S/im;
/**
 * ifupdown options take their value after a space (interfaces(5)): wpasupplicant's wpa-psk, wpa-password,
 * wpa-passphrase and wireless-tools' wireless-key / wireless-key1..4.
 */
const IFUPDOWN_SECRET = /^\s*[A-Za-z0-9_-]*(psk|password|passwd|passphrase|secret|key[0-9]?)[ \t]+\S/im;
/** Key material in any file: PEM private keys, OpenVPN static keys and inline <key>/<tls-auth>/... blocks. */
const KEY_BLOCK =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|-----BEGIN OpenVPN Static key|<(key|secret|tls-auth|tls-crypt|tls-crypt-v2|pkcs12)>/i;

export function holdsSecret(file: NetworkFile): boolean {
  return (
    !file.link && (SECRET_LINE.test(file.content) || IFUPDOWN_SECRET.test(file.content) || KEY_BLOCK.test(file.content))
  );
}

export interface CapturedNetworkFile extends NetworkFile {
  /** Set when the content stayed on the target (it holds a secret): the copy under CAPTURED_DIR. */
  keptOnTarget?: string;
}

/** Where a secret-holding file is kept aside on the target. */
export const keptPath = (file: NetworkFile): string => `${CAPTURED_DIR}${file.path}`;

/** Copies one secret-holding file aside on the target (mode and owner kept by cp -a). */
export function keepAsideCommand(file: NetworkFile): string {
  const kept = keptPath(file);
  return sh`mkdir -p -m 700 ${kept.slice(0, kept.lastIndexOf("/"))} && cp -a ${file.path} ${kept}`;
}

/** Moves secret-holding contents out of what goes to the journal, copying those files aside on the target. */
export async function protectSecrets(
  target: Host,
  files: NetworkFile[],
  signal?: AbortSignal,
): Promise<CapturedNetworkFile[]> {
  const out: CapturedNetworkFile[] = [];
  for (const file of files) {
    if (!holdsSecret(file)) {
      out.push(file);
      continue;
    }
    await execOk(target, keepAsideCommand(file), { signal });
    out.push({ path: file.path, content: "", keptOnTarget: keptPath(file) });
  }
  return out;
}

/** The captured list with every kept-aside content read back from the target (in memory only). */
export async function withKeptContent(target: Host, files: CapturedNetworkFile[]): Promise<NetworkFile[]> {
  const out: NetworkFile[] = [];
  for (const file of files) {
    if (!file.keptOnTarget) {
      out.push(file);
      continue;
    }
    const content = await readOptional(target, file.keptOnTarget);
    if (content === null)
      throw new Error(`the captured copy ${file.keptOnTarget} of ${file.path} is missing on the target`);
    out.push({ path: file.path, content });
  }
  return out;
}
