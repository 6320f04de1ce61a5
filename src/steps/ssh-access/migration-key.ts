import { execOk, readOptional, type Host } from "../../hosts/host.js";
import { cmd, sh } from "../../hosts/quote.js";
import { writeFileCommand, type PlannedCommand } from "../../engine/step.js";
import { AUTHORIZED_KEYS_PATH, MIGRATION_DIR } from "../rsync/excludes.js";
import type { RsyncSshOptions } from "../rsync/command.js";
import { knownHostsLines, readHostKeys } from "./host-keys.js";
import { targetFromSource, type OvzContext, type OvzPlan } from "../openvz-to-kvm/plan.js";
import { OVZ_FACTS } from "../openvz-to-kvm/facts.js";

/**
 * The source pushes to the target with a key made for this migration: generated ON the source (the
 * private half never leaves it and never reaches the journal), authorized on the target and on the
 * source itself (the copy replaces the target's authorized_keys with the source's, so the key must be
 * in both to survive pass one), checked against a known_hosts file holding the target's keys read over
 * the tool's own verified connection plus the source's keys (which the target presents after pass one).
 */
export const KEY_COMMENT = "mudanza-migration-key";
/** Stands for the public key in the commands a gate shows before the key pair exists. */
export const NEW_KEY_PLACEHOLDER = "ssh-ed25519 <new key>";
export const KEY_FILE = `${MIGRATION_DIR}/id_ed25519`;
export const KNOWN_HOSTS_FILE = `${MIGRATION_DIR}/known_hosts`;
export const AUTHORIZED_KEYS = AUTHORIZED_KEYS_PATH;
const KEY_OPTIONS = "no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-pty";

export const generateKeyCommand = sh`mkdir -p -m 700 ${MIGRATION_DIR} && { test -f ${KEY_FILE} || ssh-keygen -q -t ed25519 -N '' -C ${KEY_COMMENT} -f ${KEY_FILE}; }`;

export function authorizeCommand(line: string): string {
  return sh`mkdir -p -m 700 /root/.ssh && touch ${AUTHORIZED_KEYS} && chmod 600 ${AUTHORIZED_KEYS} && sed -i -e ${"$a\\"} ${AUTHORIZED_KEYS} && { grep -qxF ${line} ${AUTHORIZED_KEYS} || printf ${"%s\\n"} ${line} >> ${AUTHORIZED_KEYS}; }`;
}

/** Removes every line carrying the migration key's comment (and, on the source, the key pair). */
export function revokeCommand(role: "source" | "target"): string {
  const strip = sh`if test -f ${AUTHORIZED_KEYS}; then sed -i ${`/ ${KEY_COMMENT}$/d`} ${AUTHORIZED_KEYS}; fi`;
  return role === "source" ? `${strip} && ${cmd("rm", "-rf", MIGRATION_DIR)}` : strip;
}

export function sshOptionsFor(plan: OvzPlan): RsyncSshOptions {
  const t = targetFromSource(plan);
  return { user: t.user, address: t.address, port: t.port, identityFile: KEY_FILE, knownHostsFile: KNOWN_HOSTS_FILE };
}

/** Where the source pushes to, as the gate shows it. */
export type AccessEndpoint = ReturnType<typeof targetFromSource>;

/**
 * What ensureMigrationAccess runs, in order. The key line holds "<new key>": the key pair is made by the
 * first command, so its public half exists only then (the one placeholder a gate shows).
 */
export function accessCommands(t: AccessEndpoint): PlannedCommand[] {
  return [
    {
      host: "source",
      command: generateKeyCommand,
      purpose: "make the migration key pair on the source (private key stays there)",
    },
    {
      host: "target",
      command: authorizeCommand(`${KEY_OPTIONS} ${NEW_KEY_PLACEHOLDER} ${KEY_COMMENT}`),
      purpose: "let the source push to the target",
    },
    {
      host: "source",
      command: authorizeCommand(`${KEY_OPTIONS} ${NEW_KEY_PLACEHOLDER} ${KEY_COMMENT}`),
      purpose: "keep the key authorized after the copy replaces the target's authorized_keys",
    },
    {
      host: "source",
      command: writeFileCommand(KNOWN_HOSTS_FILE),
      purpose: `pin the target's and the source's host keys for ${t.address}:${t.port}`,
    },
  ];
}

export const plannedAccessCommands = (plan: OvzPlan): PlannedCommand[] => accessCommands(targetFromSource(plan));

/** True when the migration key and known_hosts are in place on the source (a probe may then use them). */
export async function accessReady(source: Host): Promise<boolean> {
  return (await source.stat(KEY_FILE)) !== null && (await source.stat(KNOWN_HOSTS_FILE)) !== null;
}

/** Idempotent: makes the key, authorizes it on both hosts, writes known_hosts; registers the revocation. */
export async function ensureMigrationAccess(
  ctx: OvzContext,
  t: AccessEndpoint = targetFromSource(ctx.plan),
): Promise<void> {
  const source = ctx.host("source");
  const target = ctx.host("target");
  await ctx.compensations.register({
    id: "revoke-migration-key-source",
    title: "remove the migration key from the source",
    host: "source",
    command: revokeCommand("source"),
  });
  await ctx.compensations.register({
    id: "revoke-migration-key-target",
    title: "remove the migration key from the target",
    host: "target",
    command: revokeCommand("target"),
  });
  await execOk(source, generateKeyCommand, { signal: ctx.signal });
  const publicKey = (await readOptional(source, `${KEY_FILE}.pub`))?.trim();
  if (!publicKey || !/^ssh-ed25519 [A-Za-z0-9+/=]+/.test(publicKey))
    throw new Error(`the migration key ${KEY_FILE}.pub on the source is missing or not an ed25519 public key`);
  const line = `${KEY_OPTIONS} ${publicKey.split(/\s+/).slice(0, 2).join(" ")} ${KEY_COMMENT}`;
  await execOk(target, authorizeCommand(line), { signal: ctx.signal });
  await execOk(source, authorizeCommand(line), { signal: ctx.signal });

  const targetKeys = await readHostKeys(target);
  const sourceKeys = await readHostKeys(source);
  if (targetKeys.length === 0)
    throw new Error("the target has no readable /etc/ssh/ssh_host_*_key.pub: cannot pin its host key for the copy");
  if (sourceKeys.length === 0)
    throw new Error(
      "the source has no readable /etc/ssh/ssh_host_*_key.pub: the target would present unknown keys after the first pass",
    );
  // Record what the target shows before and after the copy: the control connection reconnects with these.
  if (!ctx.facts.get(OVZ_FACTS.targetHostKeyFingerprints))
    await ctx.facts.set(
      OVZ_FACTS.targetHostKeyFingerprints,
      targetKeys.map((k) => k.fingerprint),
    );
  await ctx.facts.set(
    OVZ_FACTS.sourceHostKeyFingerprints,
    sourceKeys.map((k) => k.fingerprint),
  );
  const lines = [...knownHostsLines(t.address, t.port, targetKeys), ...knownHostsLines(t.address, t.port, sourceKeys)];
  await source.writeFile(KNOWN_HOSTS_FILE, lines.join("\n") + "\n", { mode: 0o600 });
  ctx.output(
    "source",
    `migration key ready: the source reaches root@${t.address}:${t.port} with ${KEY_FILE} (host keys pinned in ${KNOWN_HOSTS_FILE})`,
  );
}

/** Removes the key from both hosts and the key pair from the source; clears the compensations. */
export async function removeMigrationAccess(ctx: OvzContext): Promise<void> {
  await execOk(ctx.host("target"), revokeCommand("target"), { signal: ctx.signal });
  await ctx.compensations.clear("revoke-migration-key-target");
  await execOk(ctx.host("source"), revokeCommand("source"), { signal: ctx.signal });
  await ctx.compensations.clear("revoke-migration-key-source");
  ctx.output("source", "migration key removed from both hosts");
}

/** root's public keys on `host` (comments, blank lines and the migration key left out). */
export async function authorizedKeysOf(host: Host): Promise<string[]> {
  const text = (await readOptional(host, AUTHORIZED_KEYS)) ?? "";
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#") && !l.endsWith(KEY_COMMENT));
}

/**
 * The copy never replaces the target's root authorized_keys (an excluded path: a pass killed half-way
 * cannot lock the tool out). After each pass this adds the keys that must be in it: the target's own
 * (in case an earlier version's copy replaced the file) and the source's, so the source's admins get in
 * as they did before. Public keys only. One idempotent command adds each key not there yet; null for no keys.
 */
export function authorizeKeysCommand(keys: string[]): string | null {
  const unique = [...new Set(keys)];
  return unique.length === 0 ? null : unique.map(authorizeCommand).join(" && ");
}
