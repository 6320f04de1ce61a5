import { cmd, shellQuote } from "../quote.js";
import { dirname } from "node:path";
import { keyTypeLabel, keyTypeOfBlob, sameFingerprint, sha256Fingerprint } from "./fingerprint.js";
import { HostKeyError } from "./errors.js";
import { checkKnownHost, knownHostsName, type KnownHostEntry } from "./known-hosts.js";

/**
 * How one connection decides whether to trust the key a server presents. There is no "accept" policy:
 * an unknown key is always an error (the user adds it after checking it out of band).
 */
export type HostKeyPolicy =
  | {
      kind: "known-hosts";
      /** Files read, for messages (the first is where we suggest adding the key). */
      files: string[];
      entries: KnownHostEntry[];
      /** The first file's folder does not exist (no ~/.ssh yet): the advice makes it before appending to the file. */
      firstFolderMissing?: boolean;
    }
  | {
      kind: "fingerprints";
      fingerprints: string[];
      /** Where the fingerprints come from, for messages: "the plan's hostKey", "the source's host keys". */
      origin: string;
      problem: "pinned-mismatch" | "not-accepted";
    };

export interface KeyIdentity {
  /** Host as ssh shows it (HostKeyAlias or HostName) and port. */
  host: string;
  port: number;
  /** Which connection, for messages: "source", "jump host bastion (for target)". */
  who?: string;
}

/** Returns null when the key is trusted, otherwise the error to fail the connection with. */
export function verifyHostKey(policy: HostKeyPolicy, who: KeyIdentity, blob: Buffer): HostKeyError | null {
  const fingerprint = sha256Fingerprint(blob);
  const label = who.port === 22 ? who.host : `${who.host} port ${who.port}`;
  const error = verdictError(policy, who, blob, fingerprint, label);
  if (error && who.who) error.message = `${who.who}: ${error.message}`;
  return error;
}

function verdictError(
  policy: HostKeyPolicy,
  who: KeyIdentity,
  blob: Buffer,
  fingerprint: string,
  label: string,
): HostKeyError | null {
  const presented = `${keyTypeLabel(keyTypeOfBlob(blob))} key ${fingerprint}`;
  if (policy.kind === "fingerprints") {
    if (policy.fingerprints.some((f) => sameFingerprint(f, fingerprint))) return null;
    return new HostKeyError(
      policy.problem,
      label,
      fingerprint,
      `host key of ${label} does not match ${policy.origin}: the server presented ${presented}, expected ` +
        `${policy.fingerprints.join(" or ")}. Refusing to connect: this is either the wrong machine or someone ` +
        `in between. Check the fingerprint on the server (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub).`,
    );
  }
  const lookupName = knownHostsName(who.host, who.port);
  const verdict = checkKnownHost(policy.entries, lookupName, blob);
  const files = policy.files.join(", ");
  const userFile = policy.files[0] ?? "~/.ssh/known_hosts";
  // "~/.ssh/known_hosts" stays unquoted: the shell must expand the ~
  const shownFile = (file: string): string =>
    file.startsWith("~/") ? `~/${shellQuote(file.slice(2))}` : shellQuote(file);
  const makeFolder = policy.firstFolderMissing ? `mkdir -p -m 700 ${shownFile(dirname(userFile))} && ` : "";
  const keyscan = `${makeFolder}${cmd("ssh-keyscan", ...(who.port === 22 ? [] : ["-p", who.port]), who.host)} >> ${shownFile(userFile)}`;
  switch (verdict.status) {
    case "known":
      return null;
    case "revoked":
      return new HostKeyError(
        "revoked",
        label,
        fingerprint,
        `host key of ${label} (${presented}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}. Refusing to connect.`,
      );
    case "changed":
      return new HostKeyError(
        "changed",
        label,
        fingerprint,
        `HOST KEY CHANGED for ${label}: ${verdict.entry.file}:${verdict.entry.line} holds ${keyTypeLabel(verdict.entry.keyType)} key ` +
          `${verdict.entry.fingerprint}, but the server presented ${presented}. Someone may be intercepting the ` +
          `connection, or the server was reinstalled. Refusing to connect. Only if you have checked the new ` +
          `fingerprint out of band: ssh-keygen -R '${lookupName}' -f ${verdict.entry.file}, then ${keyscan}.`,
      );
    case "unknown": {
      const others =
        verdict.otherTypes.length > 0
          ? ` (known_hosts has only ${verdict.otherTypes.map(keyTypeLabel).join(", ")} keys for it)`
          : "";
      return new HostKeyError(
        "unknown",
        label,
        fingerprint,
        `host key of ${label} is not known${others}: the server presented ${presented}, and no entry for ` +
          `"${lookupName}" in ${files || "(no known_hosts files)"} matches it. Check this fingerprint out of band ` +
          `(on the server: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then add it: ${keyscan} ` +
          `(or pin it in the plan: hostKey: ${fingerprint}).`,
      );
    }
  }
}
