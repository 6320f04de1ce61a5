/**
 * What the lab builds and where it lives on the lab network. Everything that changes the built images is
 * in `labRecipe`, whose hash names the cache entry: edit the recipe and the next run rebuilds.
 *
 * Addresses come only from 198.18.0.0/15 (benchmarking range, RFC 2544), never from private ranges.
 */
export const LAB_NET = {
  /** The host's end of the veth pair (root namespace): serves the package repository and the VM's SSH. */
  hostAddress: "198.18.1.1",
  /** The container's venet address (the OpenVZ-style `venet0:0` alias). */
  sourceAddress: "198.18.1.2",
  prefix: 24,
  /** QEMU user network of the VM (never QEMU's default, which is a private range). */
  vmNet: "198.18.2.0/24",
  vmGateway: "198.18.2.2",
  vmDns: "198.18.2.3",
  vmAddress: "198.18.2.15",
  /** Port of the package repository on hostAddress (baked into both trees' sources.list). */
  repoPort: 18642,
  /** hostfwd to the VM's sshd: on 127.0.0.1 for the tool, on hostAddress for the container. */
  vmSshPortLoopback: 18622,
  vmSshPortVeth: 18623,
  netns: "mzlab",
  hostVeth: "mzlab-host",
  containerVeth: "venet0",
  containerHostname: "ct101.lab.example",
  vmHostname: "kvm101.lab.example",
} as const;

export const DEBIAN_SUITE = "bookworm";
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";

/**
 * The minimal-template variant's container (issue 12), as a minbase template leaves it (no DHCP client,
 * no udev, no kmod, no kernel metapackage, none of the main container's test extras) with only what the
 * lab drives: systemd, sshd, rsync, MariaDB (socket-activated, as Debian's package enables it) and the
 * venet config's ifupdown/net-tools (ifconfig/route, because vzctl's venet config calls them).
 */
export const MINIMAL_SOURCE_PACKAGES = [
  "openssh-server",
  "rsync",
  "mariadb-server",
  "ifupdown",
  "net-tools",
  "iproute2",
  "procps",
  "systemd-sysv",
];

/** The main OpenVZ-like container (no kernel): the minimal one plus what the tests look at. */
export const SOURCE_PACKAGES = [
  ...MINIMAL_SOURCE_PACKAGES,
  "iputils-ping", // ships with a file capability (security.capability xattr): the copy must keep it
  "libcap2-bin",
  "attr",
  "less",
];

/** The KVM-style VM as a hosting company would hand it over: kernel, systemd, sshd, its own ens3 config. */
export const TARGET_PACKAGES = [
  "linux-image-cloud-amd64",
  "systemd-sysv",
  "openssh-server",
  "initramfs-tools",
  "udev",
  "kmod",
  "rsync",
  "ifupdown",
  "iproute2",
  "procps",
  "attr",
];

/** Test data in the source's MariaDB. */
export const LAB_DB = { database: "lab", table: "acks", seedRows: 500 } as const;

/** Bump when the way trees/images are configured changes in a way the recipe below does not capture. */
const LAYOUT_VERSION = 1;

export const labRecipe = {
  layout: LAYOUT_VERSION,
  suite: DEBIAN_SUITE,
  mirror: DEBIAN_MIRROR,
  source: SOURCE_PACKAGES,
  target: TARGET_PACKAGES,
  net: LAB_NET,
  db: LAB_DB,
  imageSizeGiB: 6,
};

/** The variant's VM brings its NIC up with DHCP, as many hosting companies hand a VM over. */
export const DHCP_TARGET_PACKAGES = [...TARGET_PACKAGES, "isc-dhcp-client"];

/**
 * The variant VM's network: a tap on a bridge in a namespace of its own, where dnsmasq serves DHCP (one
 * fixed lease, by MAC) and DNS. A veth link joins it to this machine, which forwards the VM's SSH ports.
 */
export const LAB_DHCP_NET = {
  netns: "mzlabvm",
  bridge: "mzvmbr0",
  tap: "mzvmtap0",
  hostVeth: "mzvm-host",
  nsVeth: "mzvm-ns",
  linkHostAddress: "198.18.3.1",
  linkNsAddress: "198.18.3.2",
  linkPrefix: 30,
  /** The bridge's address: the VM's gateway and name server (dnsmasq). */
  gateway: "198.18.2.2",
  vmMac: "52:54:00:c6:12:0f",
  leaseSec: 12 * 3600,
  domain: "lab.example",
  /** A name only dnsmasq knows (in no /etc/hosts): resolving it proves the VM's DNS works. */
  dnsOnlyName: "repo.lab.example",
} as const;

/**
 * A kernel newer than the VM's, in the lab repository only: an empty image package and a newer version
 * of the VM's metapackage that depends on it. Only a VM that has the metapackage is offered it.
 */
export const NEWER_KERNEL = {
  metapackage: "linux-image-cloud-amd64",
  image: "linux-image-6.1.0-99-cloud-amd64",
  version: "6.1.999-1",
} as const;

export const minimalRecipe = {
  layout: 1,
  suite: DEBIAN_SUITE,
  mirror: DEBIAN_MIRROR,
  source: MINIMAL_SOURCE_PACKAGES,
  target: DHCP_TARGET_PACKAGES,
  dhcp: LAB_DHCP_NET,
  newerKernel: NEWER_KERNEL,
  imageSizeGiB: labRecipe.imageSizeGiB,
};
