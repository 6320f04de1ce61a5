import { readFile } from "node:fs/promises";
import { homedir, userInfo } from "node:os";
import { dirname } from "node:path";
import SSHConfig from "ssh-config";
import { inlineIncludes } from "./config-include.js";
import { SshSetupError } from "./errors.js";

/**
 * What we take from ssh_config(5): HostName, User, Port, IdentityFile, IdentitiesOnly, ProxyJump,
 * HostKeyAlias, UserKnownHostsFile, GlobalKnownHostsFile, Include (config-include.ts). Not supported: ProxyCommand,
 * `Match exec` (never evaluated: we do not run shell snippets from a config file), certificates.
 * StrictHostKeyChecking is ignored on purpose: an unknown key is always refused.
 *
 * Precedence: what the plan sets explicitly wins over the config, like `ssh -p/-l/-i` win over
 * ~/.ssh/config; the plan is the reviewed record of the migration, so it must mean what it says. The plan
 * schema fills `port: 22` and `user: root` when they are absent, so those two default values count as
 * "not set" and the config's Port/User apply (otherwise a `Port 2222` in ~/.ssh/config could never work
 * with a plan that names only the host). The plan's `host` is looked up as a Host alias, so a HostName in
 * the config replaces it, as with `ssh alias`.
 */

export interface JumpSpec {
  host: string;
  port?: number;
  user?: string;
}

export interface SshTarget {
  /** The name as written in the plan or ProxyJump (the Host alias the config was matched against). */
  alias: string;
  /** Where to connect: HostName from the config, or the alias. */
  hostName: string;
  port: number;
  user: string;
  /** Private key files to offer, in order (expanded paths; missing default ones already dropped later). */
  identityFiles: string[];
  /** True when identityFiles came from the plan or the config rather than OpenSSH's defaults. */
  identityFilesConfigured: boolean;
  identitiesOnly: boolean;
  /** Jump hosts, first hop first (ProxyJump host1,host2). */
  proxyJump: JumpSpec[];
  /** Name checked in known_hosts (HostKeyAlias, else hostName). */
  hostKeyName: string;
  /** known_hosts files from the config, or OpenSSH's defaults. */
  knownHostsFiles: string[];
}

export interface TargetRequest {
  host: string;
  port?: number;
  user?: string;
  identityFile?: string;
}

/** The default values the plan schema fills in, which therefore cannot override the config. */
const PLAN_DEFAULT_PORT = 22;
const PLAN_DEFAULT_USER = "root";

export function homeDirectory(): string {
  return process.env.HOME || homedir();
}

/**
 * Reads the ssh config: $MUDANZA_SSH_CONFIG alone when set (tests, or a dedicated config; `none` for no
 * config; its relative Includes are taken from its own directory so a test never reads ~/.ssh), else
 * ~/.ssh/config followed by /etc/ssh/ssh_config (first value wins, as in ssh).
 */
export async function loadSshConfig(): Promise<SSHConfig> {
  const override = process.env.MUDANZA_SSH_CONFIG;
  if (override !== undefined && override !== "") {
    if (override === "none") return SSHConfig.parse("");
    try {
      return parseSshConfigText(await inlineIncludes(await readFile(override, "utf8"), dirname(override)), override);
    } catch (error) {
      if (error instanceof SshSetupError) throw error;
      throw new SshSetupError(
        `cannot read ssh config ${override} (from MUDANZA_SSH_CONFIG): ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  const texts: string[] = [];
  for (const [path, base] of [
    [`${homeDirectory()}/.ssh/config`, `${homeDirectory()}/.ssh`],
    ["/etc/ssh/ssh_config", "/etc/ssh"],
  ] as const) {
    try {
      // A top-level line of the second file must not land inside the first file's last Host block.
      texts.push(`Host *\n${await inlineIncludes(await readFile(path, "utf8"), base)}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw new SshSetupError(`cannot read ssh config ${path}: ${String(error)}`);
    }
  }
  return parseSshConfigText(texts.join("\n"), "~/.ssh/config");
}

export function parseSshConfigText(text: string, path: string): SSHConfig {
  try {
    return SSHConfig.parse(text);
  } catch (error) {
    throw new SshSetupError(
      `cannot parse ssh config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Applies the config to one host name, with explicit plan values on top. */
export function resolveTarget(config: SSHConfig, request: TargetRequest, localUser = currentUser()): SshTarget {
  const computed = config.compute(request.host, { ignoreCase: true, matchExec: false });
  const one = (key: string): string | undefined => {
    const value = computed[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const many = (key: string): string[] => {
    const value = computed[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };

  const hostName = expandTokens(one("hostname") ?? request.host, { h: request.host });
  const configPort = one("port");
  let port = request.port !== undefined && request.port !== PLAN_DEFAULT_PORT ? request.port : undefined;
  if (port === undefined && configPort !== undefined) {
    port = Number(configPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new SshSetupError(`ssh config: Port ${configPort} for ${request.host} is not a port number`);
  }
  port ??= request.port ?? 22;
  const user =
    request.user !== undefined && request.user !== PLAN_DEFAULT_USER
      ? request.user
      : (one("user") ?? request.user ?? localUser);
  const tokens = { h: hostName, r: user, u: localUser, d: homeDirectory(), p: String(port), n: request.host };

  const configuredKeys = many("identityfile").filter((f) => f.toLowerCase() !== "none");
  const identityFiles = request.identityFile ? [request.identityFile] : configuredKeys;
  const defaults = ["id_ed25519", "id_ecdsa", "id_rsa"].map((name) => `${homeDirectory()}/.ssh/${name}`);

  const jump = one("proxyjump");
  const hostKeyName = one("hostkeyalias") ?? hostName;
  const userKnown = many("userknownhostsfile")
    .flatMap((v) => v.split(/\s+/))
    .filter(Boolean);
  const globalKnown = many("globalknownhostsfile")
    .flatMap((v) => v.split(/\s+/))
    .filter(Boolean);
  return {
    alias: request.host,
    hostName,
    port,
    user,
    identityFiles: (identityFiles.length > 0 ? identityFiles : defaults).map((f) => expandPath(f, tokens)),
    identityFilesConfigured: identityFiles.length > 0,
    identitiesOnly: /^yes$/i.test(one("identitiesonly") ?? ""),
    proxyJump: jump && jump.toLowerCase() !== "none" ? parseProxyJump(jump) : [],
    hostKeyName,
    knownHostsFiles: [
      ...(userKnown.length > 0 ? userKnown : [`${homeDirectory()}/.ssh/known_hosts`]),
      ...(globalKnown.length > 0 ? globalKnown : ["/etc/ssh/ssh_known_hosts"]),
    ].map((f) => expandPath(f, tokens)),
  };
}

/** "user@host:port,host2" (ssh -J syntax; ssh:// URIs too) into hops. */
export function parseProxyJump(value: string): JumpSpec[] {
  return value.split(",").map((raw) => {
    const text = raw.trim().replace(/^ssh:\/\//, "");
    const match = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
    if (!match || !match[2])
      throw new SshSetupError(`ssh config: cannot read ProxyJump "${value}" (expected [user@]host[:port][,...])`);
    const host = match[2].replace(/^\[|\]$/g, "");
    const port = match[3] === undefined ? undefined : Number(match[3]);
    if (port !== undefined && (port < 1 || port > 65535))
      throw new SshSetupError(`ssh config: ProxyJump "${value}" has an invalid port`);
    return { host, port, user: match[1] };
  });
}

function expandPath(path: string, tokens: Record<string, string>): string {
  const expanded = expandTokens(path, tokens);
  if (expanded === "~") return homeDirectory();
  return expanded.startsWith("~/") ? `${homeDirectory()}${expanded.slice(1)}` : expanded;
}

/** ssh_config TOKENS: %h %r %u %d %p %n and %%. Unknown tokens stay as written. */
function expandTokens(text: string, tokens: Record<string, string>): string {
  return text.replace(/%(.)/g, (whole, letter: string) => (letter === "%" ? "%" : (tokens[letter] ?? whole)));
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "root";
  }
}
