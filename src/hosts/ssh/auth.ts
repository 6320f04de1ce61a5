import { cmd } from "../quote.js";
import { open } from "node:fs/promises";
// ssh2 is CommonJS: Node's ESM loader exposes Client as a named export but not utils, so use the default.
import ssh2 from "ssh2";
import type { AgentAuthMethod, PublicKeyAuthMethod } from "ssh2";
import { fileErrorText } from "../../errors.js";
import { SshAuthError } from "./errors.js";

/**
 * Public-key authentication only: keys from ssh-agent (SSH_AUTH_SOCK) and private key files. Passwords are
 * never asked for or used. Key material stays in memory for ssh2 and is never logged; messages name files.
 */
export interface AuthPlan {
  methods: Array<PublicKeyAuthMethod | AgentAuthMethod>;
  /** For the "cannot authenticate" message: what we offered. */
  offered: string[];
}

export interface AuthRequest {
  user: string;
  identityFiles: string[];
  /** Files named by the plan or the config must exist; OpenSSH's default names are tried only if present. */
  identityFilesConfigured: boolean;
  identitiesOnly: boolean;
  /** Where the request comes from, for messages ("source", "jump host bastion"). */
  who: string;
}

export async function planAuthentication(
  request: AuthRequest,
  agentSocket = process.env.SSH_AUTH_SOCK,
): Promise<AuthPlan> {
  const methods: Array<PublicKeyAuthMethod | AgentAuthMethod> = [];
  const offered: string[] = [];
  // Explicit key files first: with many agent keys the server's MaxAuthTries could end the session before
  // the right key is tried.
  for (const file of request.identityFiles) {
    let text: Buffer;
    let mode: number;
    let ownerUid: number;
    try {
      ({ text, mode, ownerUid } = await readKeyFile(file));
    } catch (error) {
      if (!request.identityFilesConfigured && (error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new SshAuthError(`${request.who}: cannot read identity file ${file}: ${fileErrorText(error)}`);
    }
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      if (encrypted && agentSocket) continue; // the agent may hold it unlocked
      throw new SshAuthError(
        encrypted
          ? `${request.who}: identity file ${file} is protected by a passphrase; load it into ssh-agent (${cmd("ssh-add", file)}) and keep SSH_AUTH_SOCK set`
          : `${request.who}: identity file ${file} is not a private key ssh2 can read (${parsed.message})`,
      );
    }
    // ssh2 reads public keys too: offered, the server would refuse it and the message would blame the server.
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key && !key.isPrivateKey())
      throw new SshAuthError(
        `${request.who}: identity file ${file} is a public key (${key.type}); name the private key file (usually the same path without .pub)`,
      );
    // OpenSSH ignores a key of one's own that others may read ("UNPROTECTED PRIVATE KEY FILE"): so do we,
    // loudly, so a plan never works here and fails by hand with the same key.
    if (ownerUid === process.getuid?.() && (mode & 0o077) !== 0)
      throw new SshAuthError(
        `${request.who}: identity file ${file} is readable by others (permissions 0${(mode & 0o777).toString(8)}); ssh ignores such a key. Run: ${cmd("chmod", "600", file)}`,
      );
    methods.push({ type: "publickey", username: request.user, key: text });
    offered.push(`key file ${file}`);
  }
  if (agentSocket && !(request.identitiesOnly && methods.length > 0)) {
    methods.push({ type: "agent", username: request.user, agent: agentSocket });
    offered.push(`ssh-agent (${agentSocket})`);
  }
  if (methods.length === 0) {
    throw new SshAuthError(
      `${request.who}: no way to log in as ${request.user}: SSH_AUTH_SOCK is not set and no identity file was found ` +
        `(tried ${request.identityFiles.join(", ") || "none"}). Set identityFile in the plan, IdentityFile in ~/.ssh/config, or start ssh-agent.`,
    );
  }
  return { methods, offered };
}

/** The key's text, and its mode and owner from the same open file. */
async function readKeyFile(file: string): Promise<{ text: Buffer; mode: number; ownerUid: number }> {
  const handle = await open(file, "r");
  try {
    const stats = await handle.stat();
    return { text: await handle.readFile(), mode: stats.mode, ownerUid: stats.uid };
  } finally {
    await handle.close();
  }
}
