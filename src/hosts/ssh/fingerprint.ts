import { createHash } from "node:crypto";

/**
 * OpenSSH's SHA256 fingerprint of a public key blob (the wire format that ssh2's hostVerifier receives and
 * that known_hosts stores base64-encoded): "SHA256:" + unpadded base64 of sha256(blob), as
 * `ssh-keygen -lf` prints it.
 */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type written at the start of a key blob ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
export function keyTypeOfBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return null;
  const type = blob.subarray(4, 4 + length).toString("latin1");
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

/** Fingerprints compare without the optional trailing "=" some tools print. */
export function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, "") === b.replace(/=+$/, "");
}

/** Short label for messages: ED25519, ECDSA, RSA (like ssh's "ED25519 key fingerprint is ..."). */
export function keyTypeLabel(type: string | null): string {
  if (!type) return "unknown-type";
  if (type === "ssh-ed25519") return "ED25519";
  if (type.startsWith("ecdsa-")) return "ECDSA";
  if (type === "ssh-rsa") return "RSA";
  return type;
}

/** Host key signature algorithms that a key of this type can be offered under (for algorithm ordering). */
export function algorithmsForKeyType(type: string): string[] {
  if (type === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return [type];
}
