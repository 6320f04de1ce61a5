import { LAB_NET } from "./recipe.js";
import type { TreeFile } from "./tree-files.js";

/** The files that make a debootstrapped tree a KVM guest as a hosting company hands it over. */
export function targetTreeFiles(): TreeFile[] {
  const short = LAB_NET.vmHostname.split(".")[0]!;
  const prefix = LAB_NET.vmNet.split("/")[1]!;
  return [
    { path: "/etc/hostname", content: `${short}\n` },
    {
      path: "/etc/hosts",
      content: `127.0.0.1 localhost\n${LAB_NET.vmAddress} ${LAB_NET.vmHostname} ${short}\n${LAB_NET.hostAddress} lab-host\n`,
    },
    {
      path: "/etc/network/interfaces",
      content: [
        "# This file describes the network interfaces available on your system",
        "# and how to activate them. For more information, see interfaces(5).",
        "",
        "source /etc/network/interfaces.d/*",
        "",
        "# The loopback network interface",
        "auto lo",
        "iface lo inet loopback",
        "",
        "# The primary network interface",
        "auto ens3",
        "iface ens3 inet static",
        `\taddress ${LAB_NET.vmAddress}/${prefix}`,
        `\tgateway ${LAB_NET.vmGateway}`,
        "",
      ].join("\n"),
    },
    // same TCG tuning as the source's (see source-tree.ts), for kernel work before the copy
    {
      path: "/etc/initramfs-tools/conf.d/90-lab-tcg.conf",
      content: "# mudanza lab: QEMU TCG is slow; only the modules this machine needs\nMODULES=dep\nCOMPRESS=gzip\n",
    },
    {
      path: "/etc/fstab",
      content: "# <file system> <mount point> <type> <options> <dump> <pass>\n/dev/vda / ext4 errors=remount-ro 0 1\n",
    },
  ];
}

/** The kernel command line for QEMU's direct kernel boot (the image has no partition table, no bootloader). */
export const VM_KERNEL_CMDLINE = "root=/dev/vda rw console=ttyS0 net.ifnames=1 panic=10";

/** The variant VM: the same machine with ens3 on DHCP (its address comes from dnsmasq's fixed lease). */
export function dhcpTargetTreeFiles(): TreeFile[] {
  const short = LAB_NET.vmHostname.split(".")[0]!;
  const files = targetTreeFiles().filter((f) => f.path !== "/etc/network/interfaces" && f.path !== "/etc/hosts");
  return [
    ...files,
    // as Debian's installer writes it for a DHCP machine: the hostname on 127.0.1.1
    { path: "/etc/hosts", content: `127.0.0.1 localhost\n127.0.1.1 ${LAB_NET.vmHostname} ${short}\n` },
    {
      path: "/etc/network/interfaces",
      content: [
        "source /etc/network/interfaces.d/*",
        "",
        "auto lo",
        "iface lo inet loopback",
        "",
        "auto ens3",
        "iface ens3 inet dhcp",
        "",
      ].join("\n"),
    },
  ];
}
