import { z } from "zod";
import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";

export const ADDR_JSON_COMMAND = cmd("ip", "-j", "addr", "show", "scope", "global");
/** iproute2 before 4.14 (CentOS 7) has no -j: the one-line form is read instead. */
export const ADDR_LINES_COMMAND = cmd("ip", "-o", "addr", "show", "scope", "global");
export const ROUTE_JSON_COMMAND = cmd("ip", "-j", "route", "show", "default");
export const ROUTE_LINES_COMMAND = cmd("ip", "-o", "route", "show", "default");

export const globalAddressSchema = z.object({
  ifname: z.string(),
  family: z.enum(["inet", "inet6"]),
  /** Address with its prefix length, as `ip` writes it: 198.18.20.11/24. */
  address: z.string(),
  /** Handed out by DHCP or SLAAC (a lease): another boot may get another address. */
  dynamic: z.boolean(),
});
export type GlobalAddress = z.infer<typeof globalAddressSchema>;

export const defaultRouteSchema = z.object({ gateway: z.string().optional(), dev: z.string().optional() });
export type DefaultRoute = z.infer<typeof defaultRouteSchema>;

const addrInfo = z.object({
  family: z.string().optional(),
  local: z.string().optional(),
  prefixlen: z.number().optional(),
  scope: z.string().optional(),
  dynamic: z.boolean().optional(),
  temporary: z.boolean().optional(),
});
const ipJsonLink = z.object({ ifname: z.string(), addr_info: z.array(addrInfo).default([]) });

/**
 * Global addresses from `ip -j addr show scope global`. IPv6 privacy addresses (`temporary`) change on
 * every boot by design, so they are left out: nothing could expect them back.
 */
export function parseAddrJson(stdout: string): GlobalAddress[] {
  const links = z.array(ipJsonLink).parse(JSON.parse(stdout));
  const out: GlobalAddress[] = [];
  for (const link of links)
    for (const a of link.addr_info) {
      if (!a.local || a.prefixlen === undefined || a.scope !== "global" || a.temporary) continue;
      if (a.family !== "inet" && a.family !== "inet6") continue;
      out.push({ ifname: link.ifname, family: a.family, address: `${a.local}/${a.prefixlen}`, dynamic: !!a.dynamic });
    }
  return out;
}

/** `ip -o addr show scope global`: "2: ens3    inet 198.18.20.11/24 brd ... scope global dynamic ens3\ ...". */
export function parseAddrLines(stdout: string): GlobalAddress[] {
  const out: GlobalAddress[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^\d+:\s+(\S+)\s+(inet6?)\s+(\S+)\s.*?\bscope global\b(.*)$/.exec(line);
    if (!m) continue;
    const flags = m[4]!.split("\\")[0]!.split(/\s+/);
    if (flags.includes("temporary")) continue;
    out.push({
      ifname: m[1]!.replace(/@.*$/, ""),
      family: m[2] as "inet" | "inet6",
      address: m[3]!,
      dynamic: flags.includes("dynamic"),
    });
  }
  return out;
}

/** The host's global addresses: JSON where iproute2 has it, the one-line form otherwise. */
export async function readGlobalAddresses(host: Host, signal?: AbortSignal): Promise<GlobalAddress[]> {
  const json = await host.exec(ADDR_JSON_COMMAND, { signal });
  if (json.code === 0 && json.stdout.trim().startsWith("[")) return parseAddrJson(json.stdout);
  const lines = await host.exec(ADDR_LINES_COMMAND, { signal });
  if (lines.code !== 0)
    throw new Error(`ip addr on ${host.role} exited ${lines.code}: ${lines.stderr.trim() || json.stderr.trim()}`);
  return parseAddrLines(lines.stdout);
}

/** `ip -j route show default`: gateway and device of each default route. */
export function parseRouteJson(stdout: string): DefaultRoute[] {
  const routes = z
    .array(z.object({ gateway: z.string().optional(), dev: z.string().optional() }))
    .parse(JSON.parse(stdout));
  return routes.map((r) => ({ gateway: r.gateway, dev: r.dev }));
}

/** `ip -o route show default`: "default via 198.18.20.1 dev ens3 proto static metric 100". */
export function parseRouteLines(stdout: string): DefaultRoute[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("default"))
    .map((l) => ({ gateway: /\svia\s(\S+)/.exec(l)?.[1], dev: /\sdev\s(\S+)/.exec(l)?.[1] }));
}

/** Null when `ip` could not list them at all. */
export async function readDefaultRoutes(host: Host, signal?: AbortSignal): Promise<DefaultRoute[] | null> {
  const json = await host.exec(ROUTE_JSON_COMMAND, { signal });
  if (json.code === 0 && json.stdout.trim().startsWith("[")) return parseRouteJson(json.stdout);
  const lines = await host.exec(ROUTE_LINES_COMMAND, { signal });
  return lines.code === 0 ? parseRouteLines(lines.stdout) : null;
}

export const showAddress = (a: GlobalAddress): string => `${a.address} on ${a.ifname}${a.dynamic ? " (dynamic)" : ""}`;
export const showRoute = (r: DefaultRoute): string => `via ${r.gateway ?? "(none)"} dev ${r.dev ?? "(none)"}`;
