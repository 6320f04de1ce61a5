/**
 * Services that make no sense inside an OpenVZ container, with the reason for each (shown in the
 * report). Names are sysv script names and systemd unit names as Debian and Red Hat ship them.
 */
export const POINTLESS_SERVICES: Array<{ names: string[]; why: string }> = [
  {
    names: ["hwclock.sh", "hwclock", "hwclockfirst.sh", "hwclock-save"],
    why: "no access to the hardware clock; the node keeps time",
  },
  { names: ["klogd", "sysklogd-klogd"], why: "no kernel log buffer to read in a container" },
  {
    names: ["udev", "udev-mtab", "systemd-udevd", "udev-post"],
    why: "the node manages devices; udev fails inside a container",
  },
  { names: ["acpid"], why: "no ACPI events reach a container" },
  { names: ["irqbalance"], why: "interrupts belong to the node" },
  { names: ["smartmontools", "smartd"], why: "no disks to watch" },
  { names: ["mdadm", "mdadm-raid", "mdmonitor"], why: "no RAID devices in a container" },
  { names: ["lvm2", "lvm2-monitor"], why: "no block devices in a container" },
  {
    names: ["ntp", "ntpd", "ntpdate", "chronyd"],
    why: "a container may not set the clock (no CAP_SYS_TIME); the node keeps time",
  },
  { names: ["checkroot.sh", "checkfs.sh"], why: "there is no root device to fsck" },
  { names: ["module-init-tools", "kmod", "systemd-modules-load"], why: "a container cannot load kernel modules" },
  { names: ["kerneloops"], why: "kernel oopses are the node's" },
];
