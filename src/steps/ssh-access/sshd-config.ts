import { blocker, warning, type Finding } from "../../engine/finding.js";
import { readOptional, type Host } from "../../hosts/host.js";

/**
 * After the copy the VM runs the source's sshd_config: the reboot check (and every resumed run) logs in
 * as root on the plan's target port with a key. This reads the settings that decide whether that still
 * works, from the main file up to the first Match block (sshd takes the first value it reads; an Include
 * before a setting may override it, so then the finding is only a warning).
 */
export const SSHD_CONFIG = "/etc/ssh/sshd_config";

/** Who may log in, as sshd reads it: each list accumulates over its lines (sshd_config(5)). */
export interface AccessLists {
  allowUsers: string[];
  denyUsers: string[];
  allowGroups: string[];
  denyGroups: string[];
}

/** A Match block: its criteria as written and the settings inside it that decide root's key login. */
export interface MatchBlock {
  criteria: string;
  permitRootLogin?: string;
  pubkeyAuthentication?: string;
  authenticationMethods?: string;
  access: AccessLists;
}

export interface SshdSettings {
  ports: number[];
  /** ListenAddress values (host part only; a port or rdomain after it is dropped). */
  listenAddresses: string[];
  permitRootLogin?: string;
  pubkeyAuthentication?: string;
  authenticationMethods?: string;
  authorizedKeysFile?: string;
  access: AccessLists;
  match: MatchBlock[];
  /** A setting came after an Include, whose files this does not read. */
  includeBefore: Set<string>;
}

const emptyAccess = (): AccessLists => ({ allowUsers: [], denyUsers: [], allowGroups: [], denyGroups: [] });
const ACCESS_KEYS: Record<string, keyof AccessLists> = {
  allowusers: "allowUsers",
  denyusers: "denyUsers",
  allowgroups: "allowGroups",
  denygroups: "denyGroups",
};

/** "198.18.0.5:2222", "[2001:db8::1]:22", "::" or "host rdomain x": the address alone. */
function listenHost(value: string): string {
  const first = value.split(/\s+/)[0] ?? "";
  const bracketed = /^\[([^\]]+)\]/.exec(first);
  if (bracketed) return bracketed[1]!;
  return (first.match(/:/g) ?? []).length === 1 ? first.slice(0, first.indexOf(":")) : first;
}

export function parseSshdConfig(text: string): SshdSettings {
  const settings: SshdSettings = {
    ports: [],
    listenAddresses: [],
    access: emptyAccess(),
    match: [],
    includeBefore: new Set(),
  };
  let sawInclude = false;
  let block: MatchBlock | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^(\S+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (key === "match") {
      block = { criteria: value, access: emptyAccess() };
      settings.match.push(block);
      continue;
    }
    if (block) {
      // Inside a Match block the first value wins too; lists accumulate.
      if (key in ACCESS_KEYS) block.access[ACCESS_KEYS[key]!].push(...value.split(/\s+/));
      else if (key === "permitrootlogin") block.permitRootLogin ??= value;
      else if (key === "pubkeyauthentication") block.pubkeyAuthentication ??= value;
      else if (key === "authenticationmethods") block.authenticationMethods ??= value;
      continue;
    }
    if (key in ACCESS_KEYS) settings.access[ACCESS_KEYS[key]!].push(...value.split(/\s+/));
    else if (key === "listenaddress") settings.listenAddresses.push(listenHost(value));
    else if (key === "authenticationmethods") settings.authenticationMethods ??= value;
    else if (key === "include") sawInclude = true;
    else if (key === "port") {
      settings.ports.push(Number(value));
      if (sawInclude) settings.includeBefore.add("port");
    } else if (["permitrootlogin", "pubkeyauthentication", "authorizedkeysfile"].includes(key)) {
      const field =
        key === "permitrootlogin"
          ? "permitRootLogin"
          : key === "pubkeyauthentication"
            ? "pubkeyAuthentication"
            : "authorizedKeysFile";
      if (settings[field] !== undefined) continue;
      settings[field] = value;
      if (sawInclude) settings.includeBefore.add(key);
    }
  }
  return settings;
}

/** What would keep the tool (root, key, plan port) out of the VM once it runs the source's sshd. */
export function sshdLockoutFindings(settings: SshdSettings, targetPort: number): Finding[] {
  const findings: Finding[] = [];
  const finding = (setting: string, title: string, summary: string, remediation: string): void => {
    findings.push(
      (settings.includeBefore.has(setting) ? warning : blocker)(
        title,
        `${summary}${settings.includeBefore.has(setting) ? " (unless a file it includes earlier says otherwise)" : ""}`,
        remediation,
        "source",
      ),
    );
  };
  const root = settings.permitRootLogin?.toLowerCase();
  if (root === "no" || root === "forced-commands-only") {
    finding(
      "permitrootlogin",
      "Source's sshd refuses root",
      `the source's ${SSHD_CONFIG} says PermitRootLogin ${settings.permitRootLogin}: after the copy the VM refuses the root login the tool reconnects with after the reboot`,
      "set PermitRootLogin prohibit-password on the source (keys only) for the migration",
    );
  }
  if (settings.pubkeyAuthentication?.toLowerCase() === "no") {
    finding(
      "pubkeyauthentication",
      "Source's sshd refuses keys",
      `the source's ${SSHD_CONFIG} says PubkeyAuthentication no: after the copy the VM refuses the key the tool logs in with`,
      "allow key logins on the source (PubkeyAuthentication yes)",
    );
  }
  // Only a warning: the plan's port may be a forwarded one (NAT, a hypervisor's port forward) that reaches 22.
  if (settings.ports.length > 0 && !settings.ports.includes(targetPort)) {
    findings.push(
      warning(
        "Source's sshd port differs",
        `the source's sshd listens on port ${settings.ports.join(", ")}; after the copy the VM does too, but the plan reaches the target on port ${targetPort}`,
        `unless that port is forwarded to ${settings.ports[0]}, set target.port: ${settings.ports[0]} in the plan or add Port ${targetPort} to the source's sshd_config`,
        "source",
      ),
    );
  }
  const keysFile = settings.authorizedKeysFile;
  if (keysFile && !keysFile.split(/\s+/).some((f) => f === ".ssh/authorized_keys" || f === "%h/.ssh/authorized_keys")) {
    findings.push(
      warning(
        "Source's sshd reads keys elsewhere",
        `the source's ${SSHD_CONFIG} sets AuthorizedKeysFile ${keysFile}: after the reboot the VM may not read root's ~/.ssh/authorized_keys, the one login file the copy keeps`,
        "make sure root's key for the tool is in that file on the source too",
        "source",
      ),
    );
  }
  return findings;
}

export async function sourceSshdFindings(source: Host, targetPort: number): Promise<Finding[]> {
  const text = await readOptional(source, SSHD_CONFIG);
  return text === null ? [] : sshdLockoutFindings(parseSshdConfig(text), targetPort);
}
