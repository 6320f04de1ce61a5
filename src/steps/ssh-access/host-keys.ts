import { createHash } from "node:crypto";
import { readOptional, type Host } from "../../hosts/host.js";

export const HOST_KEY_FILES = ["ssh_host_ed25519_key.pub", "ssh_host_ecdsa_key.pub", "ssh_host_rsa_key.pub"].map(
  (f) => `/etc/ssh/${f}`,
);

export interface PublicHostKey {
  file: string;
  type: string;
  base64: string;
  /** SHA256:... as ssh-keygen -lf prints it. */
  fingerprint: string;
}

/** OpenSSH's SHA256 fingerprint: base64 of the SHA-256 of the key blob, without padding. */
export function fingerprintOf(base64Blob: string): string {
  return `SHA256:${createHash("sha256").update(Buffer.from(base64Blob, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/** The public host keys of a host's sshd (public halves only: they are no secret). */
export async function readHostKeys(host: Host): Promise<PublicHostKey[]> {
  const keys: PublicHostKey[] = [];
  const texts = await Promise.all(HOST_KEY_FILES.map((file) => readOptional(host, file)));
  for (const [i, file] of HOST_KEY_FILES.entries()) {
    const text = texts[i];
    const m = text ? /^(\S+)\s+([A-Za-z0-9+/=]+)/.exec(text.trim()) : null;
    if (m) keys.push({ file, type: m[1]!, base64: m[2]!, fingerprint: fingerprintOf(m[2]!) });
  }
  return keys;
}

/** known_hosts lines for `address` (bracketed with the port when it is not 22). */
export function knownHostsLines(address: string, port: number, keys: PublicHostKey[]): string[] {
  const name = port === 22 ? address : `[${address}]:${port}`;
  return keys.map((k) => `${name} ${k.type} ${k.base64}`);
}
