import { execFileSync } from "node:child_process";
import { LAB_DHCP_NET, LAB_NET } from "./recipe.js";
import { runLocal, tryLocal } from "./local.js";
import { startTracked, stopTracked, type TrackedProcess } from "./processes.js";

/**
 * The network of the variant VM (LAB_DHCP_NET): a namespace holding a bridge, the VM's tap and dnsmasq,
 * linked to this machine by a veth pair. This machine routes the VM's subnet over that link, and the
 * namespace routes back through it, so the VM reaches the package repository on LAB_NET.hostAddress.
 * Nothing of it touches the root namespace's forwarding or firewall.
 */
const D = LAB_DHCP_NET;
/** Runs a command inside the namespace: `ip netns exec` execs into it, so the PID becomes the command's. */
const nsPrefix = ["ip", "netns", "exec", D.netns];
const inNs = (...argv: string[]) => [...nsPrefix, ...argv];
const vmPrefix = LAB_NET.vmNet.split("/")[1]!;

export async function createDhcpNetwork(): Promise<void> {
  await removeDhcpNetwork();
  const steps: string[][] = [
    ["ip", "netns", "add", D.netns],
    ["ip", "link", "add", D.hostVeth, "type", "veth", "peer", "name", D.nsVeth, "netns", D.netns],
    ["ip", "addr", "add", `${D.linkHostAddress}/${D.linkPrefix}`, "dev", D.hostVeth],
    ["ip", "link", "set", D.hostVeth, "up"],
    inNs("ip", "link", "set", "lo", "up"),
    inNs("ip", "addr", "add", `${D.linkNsAddress}/${D.linkPrefix}`, "dev", D.nsVeth),
    inNs("ip", "link", "set", D.nsVeth, "up"),
    inNs("ip", "route", "add", "default", "via", D.linkHostAddress),
    inNs("ip", "link", "add", D.bridge, "type", "bridge"),
    inNs("ip", "addr", "add", `${D.gateway}/${vmPrefix}`, "dev", D.bridge),
    inNs("ip", "link", "set", D.bridge, "up"),
    inNs("ip", "tuntap", "add", "dev", D.tap, "mode", "tap"),
    inNs("ip", "link", "set", D.tap, "master", D.bridge),
    inNs("ip", "link", "set", D.tap, "up"),
    // the namespace forwards between the VM's bridge and the link (its own sysctl, not this machine's)
    inNs("sysctl", "-q", "-w", "net.ipv4.ip_forward=1"),
    ["ip", "route", "add", LAB_NET.vmNet, "via", D.linkNsAddress, "dev", D.hostVeth],
  ];
  for (const argv of steps) await runLocal(argv);
}

/** dnsmasq in the namespace: one fixed lease for the VM's MAC, the gateway, and DNS for lab names only. */
export function startDnsmasq(leaseFile: string, logFile: string): TrackedProcess {
  const short = LAB_NET.vmHostname.split(".")[0]!;
  return startTracked(
    "dnsmasq (VM's DHCP and DNS)",
    inNs(
      "dnsmasq",
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--user=root",
      "--group=root",
      "--pid-file=",
      "--log-facility=-",
      "--log-dhcp",
      "--bind-dynamic",
      `--interface=${D.bridge}`,
      "--except-interface=lo",
      // no upstream servers, no /etc/hosts of this machine: the lab's names and nothing else
      "--no-resolv",
      "--no-hosts",
      `--domain=${D.domain}`,
      `--host-record=${D.dnsOnlyName},${LAB_NET.hostAddress}`,
      `--dhcp-range=${LAB_NET.vmAddress},static,${prefixMask(Number(vmPrefix))},${D.leaseSec}`,
      `--dhcp-host=${D.vmMac},${LAB_NET.vmAddress},${short}`,
      `--dhcp-option=option:router,${D.gateway}`,
      `--dhcp-option=option:dns-server,${D.gateway}`,
      `--dhcp-leasefile=${leaseFile}`,
      "--dhcp-authoritative",
    ),
    logFile,
    { wrapperWords: nsPrefix.length },
  );
}

export async function stopDnsmasq(proc: TrackedProcess | undefined): Promise<void> {
  if (proc) await stopTracked(proc, 5000);
}

/** The QEMU arguments that put the VM's NIC on the namespace's tap with the fixed MAC. */
export const dhcpVmNetdev = {
  /** QEMU runs inside the namespace: the tap is looked up by name there. */
  prefix: nsPrefix,
  netdev: `tap,id=n0,ifname=${D.tap},script=no,downscript=no`,
  device: `virtio-net-pci,netdev=n0,addr=0x3,mac=${D.vmMac}`,
};

export async function removeDhcpNetwork(): Promise<void> {
  await tryLocal(["ip", "link", "del", D.hostVeth]);
  await tryLocal(["ip", "netns", "del", D.netns]);
}

/** Synchronous variant for process-exit handlers. */
export function removeDhcpNetworkSync(): void {
  for (const argv of [
    ["ip", "link", "del", D.hostVeth],
    ["ip", "netns", "del", D.netns],
  ]) {
    try {
      execFileSync(argv[0]!, argv.slice(1), { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
}

function prefixMask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join(".");
}
