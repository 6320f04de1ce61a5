import { createHmac, timingSafeEqual } from "node:crypto";
import { keyTypeOfBlob, sha256Fingerprint } from "./fingerprint.js";

/**
 * known_hosts as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): one key per line,
 * `[@marker] hostpatterns keytype base64key [comment]`. Host patterns are comma-separated, may use `*`/`?`
 * and `!` negation, a non-22 port is written `[host]:port`, and HashKnownHosts writes `|1|salt|hmac`
 * (base64 salt, base64 HMAC-SHA1 of the host name keyed by the salt).
 */
export interface KnownHostEntry {
  file: string;
  line: number;
  /** @revoked keys are refused; @cert-authority lines are kept but never match (no certificate support). */
  marker?: "revoked" | "cert-authority";
  /** The host field as written (a hashed entry shows as |1|...). */
  hosts: string;
  keyType: string;
  blob: Buffer;
  fingerprint: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines we could not read; reported so a typo does not silently drop a key. */
  problems: string[];
}

export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((rawLine, index) => {
    const lineText = rawLine.trim();
    if (lineText === "" || lineText.startsWith("#")) return;
    const fields = lineText.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const name = fields.shift();
      if (name === "@revoked") marker = "revoked";
      else if (name === "@cert-authority") marker = "cert-authority";
      else {
        problems.push(`${file}:${index + 1}: unknown marker ${name}`);
        return;
      }
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64) {
      problems.push(`${file}:${index + 1}: expected "hosts keytype key"`);
      return;
    }
    const blob = Buffer.from(base64, "base64");
    if (keyTypeOfBlob(blob) !== keyType) {
      problems.push(`${file}:${index + 1}: the key does not decode to a ${keyType} key`);
      return;
    }
    entries.push({ file, line: index + 1, marker, hosts, keyType, blob, fingerprint: sha256Fingerprint(blob) });
  });
  return { entries, problems };
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise; lower case. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** Does this entry's host field name `lookupName` (already built with knownHostsName)? */
export function entryMatchesHost(hosts: string, lookupName: string): boolean {
  if (hosts.startsWith("|")) return hashedNameMatches(hosts, lookupName);
  let matched = false;
  for (const pattern of hosts.split(",")) {
    if (pattern === "") continue;
    const negated = pattern.startsWith("!");
    const body = (negated ? pattern.slice(1) : pattern).toLowerCase();
    if (!globMatches(body, lookupName)) continue;
    if (negated) return false; // a matching negation wins over any positive match
    matched = true;
  }
  return matched;
}

function hashedNameMatches(field: string, name: string): boolean {
  const parts = field.split("|"); // ["", "1", salt, hmac]
  if (parts.length !== 4 || parts[1] !== "1" || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], "base64");
  const expected = Buffer.from(parts[3], "base64");
  const actual = createHmac("sha1", salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH's match_pattern: `*` any run, `?` one character, everything else literal (`[` included). */
export function globMatches(pattern: string, text: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "s",
  );
  return regex.test(text);
}

export type KnownHostsVerdict =
  | { status: "known"; entry: KnownHostEntry }
  | { status: "revoked"; entry: KnownHostEntry }
  | { status: "changed"; entry: KnownHostEntry }
  /** otherTypes: key types known_hosts holds for this host, none of them the presented one. */
  | { status: "unknown"; otherTypes: string[] };

/** Judges a presented key against every entry naming the host, the way ssh's check_host_key does. */
export function checkKnownHost(entries: KnownHostEntry[], lookupName: string, blob: Buffer): KnownHostsVerdict {
  const keyType = keyTypeOfBlob(blob);
  const forHost = entries.filter((e) => e.marker !== "cert-authority" && entryMatchesHost(e.hosts, lookupName));
  const revoked = forHost.find((e) => e.marker === "revoked" && e.blob.equals(blob));
  if (revoked) return { status: "revoked", entry: revoked };
  const plain = forHost.filter((e) => e.marker === undefined);
  const known = plain.find((e) => e.blob.equals(blob));
  if (known) return { status: "known", entry: known };
  const changed = plain.find((e) => e.keyType === keyType);
  if (changed) return { status: "changed", entry: changed };
  return { status: "unknown", otherTypes: [...new Set(plain.map((e) => e.keyType))] };
}

/** Key types known_hosts holds for a host: offered first so the server presents a key we can check. */
export function knownKeyTypes(entries: KnownHostEntry[], lookupName: string): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && entryMatchesHost(e.hosts, lookupName))
    .map((e) => e.keyType);
  return [...new Set(types)];
}
