#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs to run mudanza's demo and its tests: Debian packages, then
# the npm dependencies from the lock file. Safe to run again. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  rsync openssh-server openssh-client   # the migration's transport, and the tests' real sshd
  tmux                                  # the TUI test drives the CLI in a real terminal
  qemu-system-x86 qemu-utils            # the KVM-style target VM (TCG) and qcow2 images
  debootstrap dpkg-dev                  # the lab's Debian trees and its local package repository
  systemd-container iproute2            # the OpenVZ-like source container and its network namespace
  dnsmasq-base                          # DHCP and DNS for the lab's minimal-variant VM
  e2fsprogs                             # mkfs.ext4 -d builds disk images without loop mounts
  sudo passwd                           # the ssh tests log in as a non-root user through sudo
  attr acl libcap2-bin                  # the rsync tests set xattrs, ACLs and file capabilities to check they survive
  python3                               # npm run bench makes its trees of many small files with it (several times faster than node)
  guestfs-tools guestfish linux-image-amd64 libvirt-clients  # image sparsify (virt-sparsify, guestfish, the appliance kernel); virsh for domain XML
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# sshd refuses to start without its privilege-separation directory
as_root mkdir -p /run/sshd

# npm ci also builds dist/ (the package's `prepare` script): bin/mudanza.js runs the built CLI.
npm ci --no-audit --no-fund
