import type { AccessLists, MatchBlock, SshdSettings } from "./sshd-config.js";

/**
 * Whether the VM's sshd (the source's config after the copy) still lets root in with a key, the way the
 * tool logs in after the reboot. Pure: the settings, root's groups and the VM's addresses go in, the
 * reasons come out. `certain` is false where it depends on something unknown here (the client's address
 * in a Match Address block, a host part in AllowUsers).
 */
export interface RootRefusal {
  why: string;
  certain: boolean;
}

/** sshd's match_pattern: `*` and `?` wildcards, whole string. */
export function globMatch(name: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(name);
}

/** A Match criteria list ("root,admin", "*,!guest"): a negated hit rules out, else any hit matches. */
function listMatches(names: string[], list: string): boolean {
  const patterns = list
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of patterns) if (p.startsWith("!") && names.some((n) => globMatch(n, p.slice(1)))) return false;
  return patterns.some((p) => !p.startsWith("!") && names.some((n) => globMatch(n, p)));
}

/** "yes", "no" or "maybe": does this Match block apply to root's login from an address not known here? */
export function matchAppliesToRoot(criteria: string, rootGroups: string[]): "yes" | "no" | "maybe" {
  const words = criteria.split(/\s+/).filter(Boolean);
  let maybe = false;
  for (let i = 0; i < words.length; i++) {
    const key = words[i]!.toLowerCase();
    if (key === "all") continue;
    const value = words[++i] ?? "";
    if (key === "user") {
      if (!listMatches(["root"], value)) return "no";
    } else if (key === "group") {
      if (!listMatches(rootGroups, value)) return "no";
    } else maybe = true; // Address, Host, LocalAddress, LocalPort, RDomain: decided by the connection
  }
  return maybe ? "maybe" : "yes";
}

/** AllowUsers/DenyUsers entries are USER or USER@HOST: a host part makes the answer uncertain. */
function userEntryHits(entry: string): { hits: boolean; hostBound: boolean } {
  const at = entry.indexOf("@");
  return { hits: globMatch("root", at < 0 ? entry : entry.slice(0, at)), hostBound: at >= 0 };
}

function accessRefusals(access: AccessLists, rootGroups: string[], where: string): RootRefusal[] {
  const out: RootRefusal[] = [];
  for (const entry of access.denyUsers) {
    const { hits, hostBound } = userEntryHits(entry);
    if (hits) out.push({ why: `DenyUsers ${entry}${where}`, certain: !hostBound });
  }
  if (access.allowUsers.length > 0) {
    const hitting = access.allowUsers.map(userEntryHits).filter((e) => e.hits);
    if (hitting.length === 0)
      out.push({ why: `AllowUsers ${access.allowUsers.join(" ")}${where} does not name root`, certain: true });
    else if (hitting.every((e) => e.hostBound))
      out.push({
        why: `AllowUsers${where} lets root in only from some hosts (${access.allowUsers.join(" ")})`,
        certain: false,
      });
  }
  const deniedGroup = access.denyGroups.find((g) => rootGroups.some((r) => globMatch(r, g)));
  if (deniedGroup) out.push({ why: `DenyGroups ${deniedGroup}${where} holds root`, certain: true });
  if (access.allowGroups.length > 0 && !access.allowGroups.some((g) => rootGroups.some((r) => globMatch(r, g)))) {
    out.push({
      why: `AllowGroups ${access.allowGroups.join(" ")}${where} names none of root's groups (${rootGroups.join(", ")})`,
      certain: true,
    });
  }
  return out;
}

function settingRefusals(
  s: { permitRootLogin?: string; pubkeyAuthentication?: string; authenticationMethods?: string },
  where: string,
): string[] {
  const out: string[] = [];
  const root = s.permitRootLogin?.toLowerCase();
  if (root === "no" || root === "forced-commands-only") out.push(`PermitRootLogin ${s.permitRootLogin}${where}`);
  if (s.pubkeyAuthentication?.toLowerCase() === "no") out.push(`PubkeyAuthentication no${where}`);
  const methods = s.authenticationMethods;
  // Every listed chain must be satisfiable by a key alone, or "any" is allowed.
  if (methods && methods.toLowerCase() !== "any" && !methods.split(/\s+/).some((chain) => chain === "publickey"))
    out.push(`AuthenticationMethods ${methods}${where} asks for more than a key`);
  return out;
}

/** Everything in the config that shuts root (with a key) out; global settings plus the Match blocks that may apply. */
export function rootRefusals(settings: SshdSettings, rootGroups: string[]): RootRefusal[] {
  const out: RootRefusal[] = [
    ...settingRefusals(settings, "").map((why) => ({ why, certain: true })),
    ...accessRefusals(settings.access, rootGroups, ""),
  ];
  for (const block of settings.match) out.push(...blockRefusals(block, rootGroups));
  return out;
}

function blockRefusals(block: MatchBlock, rootGroups: string[]): RootRefusal[] {
  const applies = matchAppliesToRoot(block.criteria, rootGroups);
  if (applies === "no") return [];
  const where = ` in Match ${block.criteria}`;
  const certain = applies === "yes";
  return [
    ...settingRefusals(block, where).map((why) => ({ why, certain })),
    ...accessRefusals(block.access, rootGroups, where).map((r) => ({ ...r, certain: r.certain && certain })),
  ];
}

/** ListenAddress values the VM will not have (wildcards and loopback are always there). */
export function missingListenAddresses(settings: SshdSettings, vmAddresses: string[]): string[] {
  const always = (a: string): boolean =>
    ["0.0.0.0", "::", "*", "localhost"].includes(a) || a.startsWith("127.") || a === "::1";
  return settings.listenAddresses.filter((a) => !always(a) && !vmAddresses.includes(a));
}

/** root's groups from /etc/group: its own group and every group listing it as a member. */
export function rootGroupsFrom(etcGroup: string | null): string[] {
  const groups = new Set(["root"]);
  for (const line of (etcGroup ?? "").split("\n")) {
    const [name, , gid, members] = line.split(":");
    if (!name) continue;
    if (
      gid === "0" ||
      (members ?? "")
        .split(",")
        .map((m) => m.trim())
        .includes("root")
    )
      groups.add(name);
  }
  return [...groups];
}
