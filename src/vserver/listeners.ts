import { cmd, sh } from "../hosts/quote.js";

/** A TCP socket listening in the guest, as `ss -ltn` shows it ("*" / "0.0.0.0" / "::" for any address). */
export interface Listener {
  address: string;
  port: number;
}

/**
 * Without -H, which ss only has since iproute2 4.9: an older one given -H prints its help on stdout and exits
 * 0 (misc/ss.c sends getopt's '?' to help(), from 2009 on: Debian 6-8, CentOS 7), so a `-H || fallback`
 * would find no port and say nothing. The header line is skipped by the parser.
 */
export const LISTENERS_IN_GUEST = "ss -ltn";

/**
 * Parses `ss -ltn` (and `ss -Hltn`) output: "LISTEN 0 128 0.0.0.0:22 0.0.0.0:*", "[::]:22", old ":::22",
 * "127.0.0.53%lo:53", "*:80". Header lines are skipped; rows without the State column (some old ss
 * builds) have the local address third.
 */
export function parseListeners(output: string): Listener[] {
  const out: Listener[] = [];
  const seen = new Set<string>();
  for (const line of output.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const local = fields[0] === "LISTEN" ? fields[3] : /^\d+$/.test(fields[0] ?? "") ? fields[2] : undefined;
    const m = local ? /^(.*):(\d+)$/.exec(local) : null;
    if (!m) continue;
    const address = m[1]!.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "") || "::";
    const key = `${address} ${m[2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ address, port: Number(m[2]) });
  }
  return out;
}

const isV6 = (ip: string): boolean => ip.includes(":");
const LOOPBACK = (address: string): boolean =>
  /^127\./.test(address) || address === "::1" || address === "::ffff:127.0.0.1";

/**
 * Which of the container's addresses each listener answers on: a wildcard on every address of its family
 * ("*" and "::" take IPv4 too, as a dual-stack socket does), a specific address only there, loopback
 * nowhere the node can reach.
 */
export function portsToCheck(listeners: Listener[], ips: string[]): Array<{ ip: string; port: number }> {
  const out: Array<{ ip: string; port: number }> = [];
  const add = (ip: string, port: number): void => {
    if (!out.some((o) => o.ip === ip && o.port === port)) out.push({ ip, port });
  };
  for (const l of listeners) {
    if (LOOPBACK(l.address)) continue;
    if (l.address === "*" || l.address === "::") for (const ip of ips) add(ip, l.port);
    else if (l.address === "0.0.0.0") for (const ip of ips.filter((i) => !isV6(i))) add(ip, l.port);
    else if (ips.includes(l.address)) add(l.address, l.port);
  }
  return out;
}

/** One echo request, two seconds to answer (iputils; IPv6 through -6, or ping6 on older iputils). */
export const pingCommand = (ip: string): string =>
  isV6(ip) ? sh`ping -6 -c 1 -W 2 ${ip} 2>/dev/null || ping6 -c 1 -W 2 ${ip}` : cmd("ping", "-c", "1", "-W", "2", ip);

/** A TCP connect from the node, three seconds at most: bash's /dev/tcp, since nc is often not installed. */
export const tcpConnectCommand = (ip: string, port: number): string =>
  cmd("timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${ip}/${port}`);
