import type { NetworkFile } from "./network-files.js";

/**
 * What the restored network config needs on the VM to come up: the service that reads it and, for DHCP,
 * a client. Each need is met when one of its paths exists (binaries under both /sbin and /usr/sbin: an
 * older system is not usrmerged). Pure: the files go in, the needs come out; the step checks the paths.
 */
export interface NetworkNeed {
  /** What needs it, for the finding: "iface ens3 inet dhcp in /etc/network/interfaces". */
  by: string;
  /** What is needed, for humans: "a DHCP client (dhclient, dhcpcd or udhcpc)". */
  what: string;
  anyOf: string[];
  remediation: string;
}

const bins = (...names: string[]): string[] =>
  names.flatMap((n) => [`/usr/sbin/${n}`, `/sbin/${n}`, `/usr/bin/${n}`, `/bin/${n}`]);
const units = (name: string): string[] => [
  `/usr/lib/systemd/system/${name}`,
  `/lib/systemd/system/${name}`,
  `/etc/systemd/system/${name}`,
];

const DHCP_CLIENTS = bins("dhclient", "dhcpcd", "udhcpc");
const IFUPDOWN = [...bins("ifup")];
const NETWORK_MANAGER = bins("NetworkManager");
const NETWORKD = ["/usr/lib/systemd/systemd-networkd", "/lib/systemd/systemd-networkd"];
const NETWORK_SCRIPTS = ["/etc/sysconfig/network-scripts/ifup-eth", "/usr/libexec/network-scripts/ifup-eth"];

/** Interfaces stanzas: "iface NAME FAMILY METHOD" (interfaces(5)); loopback needs nothing. */
function interfacesNeeds(file: NetworkFile): NetworkNeed[] {
  const needs: NetworkNeed[] = [];
  for (const m of file.content.matchAll(/^\s*iface\s+(\S+)\s+(inet6?)\s+(\S+)/gm)) {
    const [, name, family, method] = m;
    if (method === "loopback" || name === "lo") continue;
    const by = `iface ${name} ${family} ${method} in ${file.path}`;
    if (needs.length === 0)
      needs.push({
        by,
        what: "ifupdown (ifup and networking.service)",
        anyOf: IFUPDOWN,
        remediation: "apt-get install ifupdown on the target",
      });
    if (method === "dhcp")
      needs.push({
        by,
        what: "a DHCP client (dhclient, dhcpcd or udhcpc)",
        anyOf: DHCP_CLIENTS,
        remediation: "apt-get install isc-dhcp-client on the target (ifupdown runs dhclient for inet dhcp)",
      });
  }
  if (needs.length > 0)
    needs.push({
      by: needs[0]!.by,
      what: "networking.service (ifupdown's unit)",
      anyOf: units("networking.service"),
      remediation: "apt-get install --reinstall ifupdown on the target",
    });
  return needs;
}

/** ifcfg files are read by NetworkManager (its own DHCP on EL8+) or by the legacy network-scripts (dhclient). */
function ifcfgNeeds(files: NetworkFile[], have: (paths: string[]) => boolean): NetworkNeed[] {
  const ifcfg = files.filter((f) => /\/ifcfg-(?!lo$)[^/]+$/.test(f.path));
  if (ifcfg.length === 0) return [];
  const dhcp = ifcfg.find((f) => /^\s*BOOTPROTO\s*=\s*["']?(dhcp|bootp)["']?\s*$/im.test(f.content));
  const by = dhcp ? `BOOTPROTO=dhcp in ${dhcp.path}` : ifcfg.map((f) => f.path).join(", ");
  if (have(NETWORK_MANAGER))
    return [
      {
        by,
        what: "NetworkManager.service",
        anyOf: units("NetworkManager.service"),
        remediation: "dnf reinstall NetworkManager on the target",
      },
    ];
  const needs: NetworkNeed[] = [
    {
      by,
      what: "a service that reads ifcfg files (NetworkManager, or network-scripts' network.service)",
      anyOf: [...NETWORK_MANAGER, ...NETWORK_SCRIPTS],
      remediation: "dnf install NetworkManager on the target (or network-scripts on EL8)",
    },
  ];
  if (dhcp && have(NETWORK_SCRIPTS))
    needs.push({
      by,
      what: "dhclient (network-scripts runs it for BOOTPROTO=dhcp)",
      anyOf: bins("dhclient"),
      remediation: "dnf install dhcp-client on the target",
    });
  return needs;
}

/** The needs of every restored network file; `have` answers whether one of some paths exists on the VM. */
export function networkNeeds(files: NetworkFile[], have: (paths: string[]) => boolean): NetworkNeed[] {
  const needs: NetworkNeed[] = [];
  for (const file of files) {
    if (file.path === "/etc/network/interfaces" || file.path.startsWith("/etc/network/interfaces.d/"))
      needs.push(...interfacesNeeds(file));
    else if (file.path.startsWith("/etc/NetworkManager/system-connections/"))
      needs.push({
        by: file.path,
        what: "NetworkManager",
        anyOf: NETWORK_MANAGER,
        remediation:
          "install NetworkManager on the target (apt-get install network-manager / dnf install NetworkManager)",
      });
    else if (/^\/etc\/systemd\/network\/.*\.network$/.test(file.path))
      needs.push({
        by: file.path,
        what: "systemd-networkd",
        anyOf: NETWORKD,
        remediation: "install systemd-networkd on the target (apt-get install systemd / dnf install systemd-networkd)",
      });
    else if (file.path.startsWith("/etc/netplan/")) {
      needs.push({
        by: file.path,
        what: "netplan",
        anyOf: bins("netplan"),
        remediation: "apt-get install netplan.io on the target",
      });
      const nm = /renderer:\s*NetworkManager/.test(file.content);
      needs.push(
        nm
          ? {
              by: file.path,
              what: "NetworkManager (the netplan renderer)",
              anyOf: NETWORK_MANAGER,
              remediation: "apt-get install network-manager on the target",
            }
          : {
              by: file.path,
              what: "systemd-networkd (netplan's default renderer)",
              anyOf: NETWORKD,
              remediation: "apt-get install systemd on the target",
            },
      );
    }
  }
  needs.push(...ifcfgNeeds(files, have));
  // One finding per missing thing, even when several files need it.
  const seen = new Set<string>();
  return needs.filter((n) => (seen.has(n.what) ? false : (seen.add(n.what), true)));
}

/** Every path any need may be met by: the step stats these once. */
export const NETWORK_NEED_PATHS = [
  ...new Set([
    ...DHCP_CLIENTS,
    ...IFUPDOWN,
    ...NETWORK_MANAGER,
    ...NETWORKD,
    ...NETWORK_SCRIPTS,
    ...bins("netplan"),
    ...["networking.service", "NetworkManager.service"].flatMap(units),
  ]),
];
