/** One address of `ip -o addr show`: "2: ens3    inet 198.18.20.10/24 brd ... scope global ens3". */
export interface InterfaceAddress {
  ifname: string;
  family: "inet" | "inet6";
  address: string;
  prefix: number;
}

export function parseIpAddr(stdout: string): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^\d+:\s+(\S+)\s+(inet6?)\s+([^/\s]+)\/(\d+)/.exec(line);
    if (m) out.push({ ifname: m[1]!, family: m[2] as "inet" | "inet6", address: m[3]!, prefix: Number(m[4]) });
  }
  return out;
}

export interface HostsFix {
  content: string;
  changes: string[];
}

/**
 * vzctl writes the container's first address next to its hostname in /etc/hosts; on the VM that address
 * is gone and the host resolves its own name to nowhere. Each such line gets the VM's first address of
 * the same family (127.0.1.1, Debian's convention for a host without a fixed one, when it has none);
 * other lines stay as they are. Null when nothing maps the hostname to a container address.
 */
export function fixEtcHosts(
  text: string,
  hostname: string,
  containerAddresses: string[],
  vm: InterfaceAddress[],
): HostsFix | null {
  const names = new Set([hostname, hostname.split(".")[0]!]);
  const changes: string[] = [];
  const lines = text.split("\n").map((line) => {
    const [address, ...aliases] = line.replace(/#.*$/, "").trim().split(/\s+/);
    if (
      !address ||
      !containerAddresses.includes(address) ||
      vm.some((a) => a.address === address) ||
      !aliases.some((a) => names.has(a))
    )
      return line;
    const family = address.includes(":") ? "inet6" : "inet";
    const replacement = vm.find((a) => a.family === family)?.address ?? (family === "inet" ? "127.0.1.1" : null);
    if (!replacement) {
      changes.push(`${address} ${aliases.join(" ")}: removed (the VM has no IPv6 address)`);
      return `# ${line} (container address, removed by mudanza)`;
    }
    changes.push(`${address} -> ${replacement} for ${aliases.join(" ")}`);
    return line.replace(address, replacement);
  });
  return changes.length > 0 ? { content: lines.join("\n"), changes } : null;
}
