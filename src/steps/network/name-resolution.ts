import { isIP } from "node:net";
import { z } from "zod";
import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";

/** Lines of the package sources that name a server: apt (one-line and deb822) and yum/dnf repositories. */
export const SOURCE_LINES_COMMAND = cmd(
  "grep",
  "-rhsiE",
  "^[[:space:]]*(deb(-src)?[[:space:]]|uris:|baseurl[[:space:]]*=|mirrorlist[[:space:]]*=|metalink[[:space:]]*=)",
  "/etc/apt/sources.list",
  "/etc/apt/sources.list.d",
  "/etc/yum.repos.d",
);

export const getentCommand = (name: string): string => cmd("getent", "ahosts", name);

/** At most this many names are tried, each for at most this long: a dead resolver answers only by timing out. */
const MAX_TRIED = 3;
const LOOKUP_TIMEOUT_MS = 20_000;

export const resolvedNameSchema = z.object({
  /** A name the host resolved, or null when none did (then `tried` says which were asked). */
  name: z.string().nullable(),
  addresses: z.array(z.string()),
  tried: z.array(z.string()),
});
export type ResolvedName = z.infer<typeof resolvedNameSchema>;

/** Host names (never address literals) of the package sources, in the order the files list them. */
export function sourceHostNames(lines: string): string[] {
  const names: string[] = [];
  for (const m of lines.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([^/\s:?\]]+)/gi)) {
    const host = m[1]!.toLowerCase();
    if (isIP(host) || host.startsWith("[") || !host.includes(".") || host.includes("$")) continue;
    if (!names.includes(host)) names.push(host);
  }
  return names;
}

/** The addresses in `getent ahosts` output ("151.101.2.132   STREAM deb.debian.org"), each once. */
export function parseGetent(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split("\n")) {
    const addr = line.trim().split(/\s+/)[0];
    if (addr && isIP(addr) && !out.includes(addr)) out.push(addr);
  }
  return out;
}

export async function resolveName(host: Host, name: string, signal?: AbortSignal): Promise<string[]> {
  const r = await host.exec(getentCommand(name), { signal, timeoutMs: LOOKUP_TIMEOUT_MS });
  return r.code === 0 ? parseGetent(r.stdout) : [];
}

/**
 * A name this host resolves now, picked from the servers its package sources name (what the VM must
 * resolve to stay updatable). Lookups go through nsswitch as any program's would (/etc/hosts, then DNS).
 */
export async function pickResolvedName(host: Host, signal?: AbortSignal): Promise<ResolvedName> {
  const lines = await host.exec(SOURCE_LINES_COMMAND, { signal });
  const tried: string[] = [];
  for (const name of sourceHostNames(lines.stdout).slice(0, MAX_TRIED)) {
    tried.push(name);
    const addresses = await resolveName(host, name, signal);
    if (addresses.length > 0) return { name, addresses, tried };
  }
  return { name: null, addresses: [], tried };
}
