import type { Duplex } from "node:stream";
import { Client, type ClientChannel } from "ssh2";
import type { AuthPlan } from "./auth.js";
import { HostKeyError, SshAuthError, SshUnreachableError } from "./errors.js";
import { algorithmsForKeyType, keyTypeOfBlob, sha256Fingerprint } from "./fingerprint.js";
import { verifyHostKey, type HostKeyPolicy } from "./host-key-policy.js";
import { knownHostsName, knownKeyTypes } from "./known-hosts.js";
import { timingTraceOn, traceTiming } from "../timing-trace.js";

/** ssh2's default host key algorithms, in its order; reordered per host below. */
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

export interface Hop {
  /** For messages: "source", "jump host bastion (for source)". */
  who: string;
  hostName: string;
  port: number;
  user: string;
  /** Name checked against known_hosts and shown in host key messages. */
  hostKeyName: string;
  policy: HostKeyPolicy;
  auth: AuthPlan;
  readyTimeoutMs: number;
}

export interface OpenedClient {
  client: Client;
  /** SHA256 fingerprint and type of the key this server presented (verified). */
  fingerprint: string;
  keyType: string;
}

/**
 * One ssh connection with verified host key and public-key auth, over TCP or over `sock` (a jump). An abort
 * (Ctrl-C) ends it at once with the signal's reason, instead of waiting out the handshake's timeout.
 */
export function openClient(hop: Hop, sock?: Duplex, signal?: AbortSignal): Promise<OpenedClient> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const client = new Client();
    let hostKeyError: HostKeyError | null = null;
    let presented: { fingerprint: string; keyType: string } | null = null;
    let settled = false;
    const onAbort = (): void => {
      // First: end() would wait for a server that may never speak, and after it destroy() does nothing.
      client.destroy();
      fail(abortReason(signal!));
    };
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      client.end();
      reject(error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timingTraceOn()) traceHandshake(client, hop.who);
    client.on("ready", () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      resolve({ client, fingerprint: presented!.fingerprint, keyType: presented!.keyType });
    });
    client.on("error", (error: Error & { level?: string; code?: string }) =>
      fail(hostKeyError ?? describeConnectError(hop, error)),
    );
    client.on("close", () =>
      fail(
        hostKeyError ??
          new SshUnreachableError(
            `${hop.who}: ${hop.hostName} port ${hop.port} closed the connection during the ssh handshake`,
          ),
      ),
    );
    client.connect({
      host: sock ? undefined : hop.hostName,
      port: sock ? undefined : hop.port,
      sock,
      username: hop.user,
      authHandler: hop.auth.methods,
      readyTimeout: hop.readyTimeoutMs,
      // Long copies: notice a dead peer within about a minute instead of hanging on TCP timeouts.
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: orderHostKeyAlgorithms(hop) as never },
      hostVerifier: (key: Buffer): boolean => {
        traceTiming(`${hop.who}: host key presented`);
        presented = { fingerprint: sha256Fingerprint(key), keyType: keyTypeOfBlob(key) ?? "unknown" };
        hostKeyError = verifyHostKey(hop.policy, { host: hop.hostKeyName, port: hop.port, who: hop.who }, key);
        return hostKeyError === null;
      },
    });
    // Every command is a short exchange: with Nagle's algorithm on, a small packet waits for the peer's
    // delayed ACK, and each round trip took 44 ms on loopback instead of 4 ms (a dry run's ~70 of them).
    client.setNoDelay(true);
  });
}

/** What an aborted connection rejects with: the abort's reason (the CLI's InterruptedError) when it is an error. */
const abortReason = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error("the connection was aborted");

/** MUDANZA_TRACE: when the TCP connection, the key exchange and the login ended, and what was negotiated. */
function traceHandshake(client: Client, who: string): void {
  const began = performance.now();
  const since = (): string => `${Math.round(performance.now() - began)} ms`;
  traceTiming(`${who}: connecting`);
  client.once("connect", () => traceTiming(`${who}: TCP connected after ${since()}`));
  client.once("handshake", (negotiated: { kex: string; serverHostKey: string; cs: { cipher: string; mac: string } }) =>
    traceTiming(
      `${who}: key exchange done after ${since()} (${negotiated.kex}, ${negotiated.serverHostKey}, ${negotiated.cs.cipher}${negotiated.cs.mac ? ` ${negotiated.cs.mac}` : ""})`,
    ),
  );
  client.once("ready", () => traceTiming(`${who}: logged in after ${since()}`));
}

/** Offer first the key types known_hosts holds for this host, like ssh does, so the check can succeed. */
function orderHostKeyAlgorithms(hop: Hop): string[] {
  if (hop.policy.kind !== "known-hosts") return HOST_KEY_ALGORITHMS;
  const preferred = knownKeyTypes(hop.policy.entries, knownHostsName(hop.hostKeyName, hop.port)).flatMap(
    algorithmsForKeyType,
  );
  return [...new Set([...preferred.filter((a) => HOST_KEY_ALGORITHMS.includes(a)), ...HOST_KEY_ALGORITHMS])];
}

function describeConnectError(hop: Hop, error: Error & { level?: string; code?: string }): Error {
  const where = `${hop.user}@${hop.hostName} port ${hop.port}`;
  if (error.level === "client-authentication") {
    return new SshAuthError(
      `${hop.who}: ${where} refused every key offered (${hop.auth.offered.join(", ")}). Add the matching public key to ~${hop.user}/.ssh/authorized_keys on that host, or name the right identityFile.`,
    );
  }
  if (error.level === "client-timeout") {
    return new SshUnreachableError(
      `${hop.who}: no ssh handshake with ${where} within ${Math.round(hop.readyTimeoutMs / 1000)}s`,
    );
  }
  // Not found and refused are one class of problem, the host cannot be reached now: one exit code (3).
  if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN")
    return new SshUnreachableError(
      `${hop.who}: cannot resolve host name ${hop.hostName} (check the name in the plan, or the DNS)`,
    );
  return new SshUnreachableError(`${hop.who}: cannot connect to ${where}: ${socketErrorText(error)}`);
}

/** What the common socket errors mean for someone reaching a server by ssh; the code stays for searching. */
const SOCKET_ERROR_TEXT: Record<string, string> = {
  ECONNREFUSED: "connection refused: is sshd running there, on that port?",
  ETIMEDOUT: "no answer (a firewall dropping the packets, or the host is down)",
  EHOSTUNREACH: "no route to that host (is it up, is the address right?)",
  ENETUNREACH: "no route to that network from here",
  ECONNRESET: "the connection was reset (a firewall, or sshd refusing this address: see its MaxStartups, hosts.deny)",
};

/** ssh2's words when the server closed the connection before it sent an SSH version line. */
const LOST_BEFORE_HANDSHAKE = "Connection lost before handshake";

function socketErrorText(error: Error & { code?: string }): string {
  if (error.message === LOST_BEFORE_HANDSHAKE)
    return `the server closed the connection before any SSH handshake: is that port sshd's, not another service's? (sshd also drops clients beyond its MaxStartups or in hosts.deny) [${LOST_BEFORE_HANDSHAKE}]`;
  const text = error.code ? SOCKET_ERROR_TEXT[error.code] : undefined;
  return text ? `${text} [${error.code}]` : (error.code ?? error.message);
}

/** Opens a TCP stream from `via` (a jump host) to the next hop, for its `sock`. */
export function forwardTo(
  via: Client,
  viaWho: string,
  hostName: string,
  port: number,
  signal?: AbortSignal,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    // Ctrl-C while the jump host opens the way on: the caller ends the jump connection.
    const onAbort = (): void => reject(abortReason(signal!));
    signal?.addEventListener("abort", onAbort, { once: true });
    via.forwardOut("127.0.0.1", 0, hostName, port, (error, stream) => {
      signal?.removeEventListener("abort", onAbort);
      if (error)
        reject(
          new SshUnreachableError(
            `${viaWho} could not open a connection to ${hostName} port ${port}: ${error.message}`,
          ),
        );
      else resolve(stream);
    });
  });
}
