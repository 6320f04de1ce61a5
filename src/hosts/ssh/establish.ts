import { readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Client } from "ssh2";
import type SSHConfig from "ssh-config";
import { forTerminal } from "../../errors.js";
import type { Endpoint } from "../../plan/endpoint.js";
import { planAuthentication } from "./auth.js";
import { loadSshConfig, resolveTarget, type SshTarget } from "./config-resolution.js";
import { SshSetupError } from "./errors.js";
import type { HostKeyPolicy } from "./host-key-policy.js";
import { parseKnownHosts, type KnownHostEntry } from "./known-hosts.js";
import { forwardTo, openClient, type Hop } from "./open-client.js";

/** Longest ProxyJump chain we follow (guards against a config whose jumps point at each other). */
const MAX_JUMPS = 8;

export interface Established {
  /** Jump hosts first, the target last; close in reverse order. */
  clients: Client[];
  target: SshTarget;
  fingerprint: string;
  keyType: string;
  jumps: Array<{ host: string; port: number; fingerprint: string }>;
}

export interface EstablishRequest {
  endpoint: Endpoint;
  role: string;
  /** When set, the target must present one of these (reconnect after the host keys were copied). */
  acceptHostKeys?: string[];
  timeoutMs?: number;
  /** Ends a connection still being made (Ctrl-C while a host does not answer). */
  signal?: AbortSignal;
  /** Told about known_hosts lines that could not be read (a typo there must not drop a key unseen). */
  warn?: (message: string) => void;
}

const folderExists = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

const warnOnStderr = (message: string): void =>
  void process.stderr.write(`mudanza: warning: ${forTerminal(message)}\n`);

/** Resolves the ssh config, builds the jump chain and opens every hop with its own host key check. */
export async function establish(request: EstablishRequest): Promise<Established> {
  const { endpoint, role } = request;
  const config = await loadSshConfig();
  const target = resolveTarget(config, {
    host: endpoint.host!,
    port: endpoint.port,
    user: endpoint.user,
    identityFile: endpoint.identityFile,
  });
  const jumpTargets = resolveJumpChain(config, target, role);
  const readyTimeoutMs = request.timeoutMs ?? endpoint.connectTimeoutSec * 1000;
  const knownHostsFor = async (t: SshTarget): Promise<HostKeyPolicy> => {
    const files = endpoint.knownHostsFile ? [endpoint.knownHostsFile] : t.knownHostsFiles;
    const entries = await readKnownHosts(files, request.warn ?? warnOnStderr);
    const firstFolderMissing = files[0] !== undefined && !(await folderExists(dirname(files[0])));
    return { kind: "known-hosts", files, entries, firstFolderMissing };
  };

  const hops: Hop[] = [];
  for (const jump of jumpTargets) {
    const who = `jump host ${jump.alias} (for ${role})`;
    hops.push({
      ...hopBasics(jump, readyTimeoutMs),
      who,
      policy: await knownHostsFor(jump),
      auth: await planAuthentication({ ...jump, who }),
    });
  }
  let policy: HostKeyPolicy;
  if (request.acceptHostKeys) {
    policy = {
      kind: "fingerprints",
      fingerprints: request.acceptHostKeys,
      origin: "the host keys it was expected to have now",
      problem: "not-accepted",
    };
  } else if (endpoint.hostKey) {
    policy = {
      kind: "fingerprints",
      fingerprints: [endpoint.hostKey],
      origin: `the fingerprint pinned in the plan (${role}.hostKey)`,
      problem: "pinned-mismatch",
    };
  } else {
    policy = await knownHostsFor(target);
  }
  hops.push({
    ...hopBasics(target, readyTimeoutMs),
    who: role,
    policy,
    auth: await planAuthentication({ ...target, who: role }),
  });

  const clients: Client[] = [];
  const jumps: Established["jumps"] = [];
  try {
    let last: { fingerprint: string; keyType: string } | null = null;
    for (const [index, hop] of hops.entries()) {
      const previous = clients[index - 1];
      const sock = previous
        ? await forwardTo(previous, hops[index - 1]!.who, hop.hostName, hop.port, request.signal)
        : undefined;
      const opened = await openClient(hop, sock, request.signal);
      clients.push(opened.client);
      last = opened;
      if (index < hops.length - 1) jumps.push({ host: hop.hostName, port: hop.port, fingerprint: opened.fingerprint });
    }
    return { clients, target, fingerprint: last!.fingerprint, keyType: last!.keyType, jumps };
  } catch (error) {
    for (const client of clients.reverse()) client.end();
    throw error;
  }
}

function hopBasics(t: SshTarget, readyTimeoutMs: number): Omit<Hop, "who" | "policy" | "auth"> {
  return { hostName: t.hostName, port: t.port, user: t.user, hostKeyName: t.hostKeyName, readyTimeoutMs };
}

/**
 * ProxyJump a,b: connect to a (whose own ProxyJump applies, as `ssh -J` does), then b through a, then the
 * target through b. Each hop gets its HostName/User/Port/IdentityFile from the config.
 */
export function resolveJumpChain(config: SSHConfig, target: SshTarget, role: string, depth = 0): SshTarget[] {
  if (target.proxyJump.length === 0) return [];
  if (depth >= MAX_JUMPS)
    throw new SshSetupError(
      `${role}: ProxyJump chain longer than ${MAX_JUMPS} hops (do the jump hosts point at each other?)`,
    );
  const [first, ...rest] = target.proxyJump.map((spec) =>
    resolveTarget(config, { host: spec.host, port: spec.port, user: spec.user }),
  );
  const chain = [...resolveJumpChain(config, first!, role, depth + 1), first!];
  return [...chain, ...rest.map((hop) => ({ ...hop, proxyJump: [] }))];
}

export async function readKnownHosts(files: string[], warn: (message: string) => void): Promise<KnownHostEntry[]> {
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue; // like ssh: a missing file knows no hosts
      throw new SshSetupError(`cannot read known_hosts file ${file}: ${code ?? String(error)}`);
    }
    const parsed = parseKnownHosts(text, file);
    for (const problem of parsed.problems) warn(`${problem}: line ignored, as ssh does`);
    entries.push(...parsed.entries);
  }
  return entries;
}
