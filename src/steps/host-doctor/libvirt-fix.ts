import type { Host } from "../../hosts/host.js";
import { redactUriPasswords } from "../../journal/secrets.js";
import type { LibvirtView } from "../image/libvirt-users.js";

const INSTALL_DAEMON = "apt-get install libvirt-daemon-system; systemctl enable --now libvirtd";

/** The host part of a libvirt URI (`qemu+ssh://root@kvm1/system` → `root@kvm1`), or null for this host's daemon. */
export function remoteOf(uri: string): string | null {
  const host = /^[^:/]+:\/\/([^/?]+)/.exec(uri)?.[1];
  return host ? host : null;
}

/**
 * What to do when libvirt did not answer, chosen from what was found: virsh missing, a URI libvirt has no
 * driver for, a remote URI, or this host's daemon not installed or not running (new-user trial 10: every case
 * was told to install libvirt, also with libvirt installed and a wrong --connect).
 */
export async function libvirtFix(host: Host, uri: string, view: LibvirtView): Promise<string> {
  const shown = redactUriPasswords(uri);
  if (view.virshError === undefined) return `apt-get install libvirt-clients (virsh), and ${INSTALL_DAEMON}`;
  if (/no connection driver available/i.test(view.virshError))
    return `--connect ${shown} is not a libvirt URI this virsh has a driver for: pass --connect qemu:///system for this host's VMs (the default), or qemu+ssh://USER@HOST/system for another host's`;
  const remote = remoteOf(shown);
  if (remote !== null)
    return `check that ${remote} answers (virsh -c ${shown} list --all) and runs libvirtd; to check this host's own libvirt, pass --connect qemu:///system`;
  if (!/Failed to connect socket/i.test(view.virshError))
    return `see libvirt's message; virsh -c ${shown} list --all shows the same`;
  // By path: /usr/sbin is not in a normal user's PATH on Debian, and every distribution installs them there.
  const daemonInstalled =
    (await host.stat("/usr/sbin/libvirtd")) !== null || (await host.stat("/usr/sbin/virtqemud")) !== null;
  return daemonInstalled
    ? "libvirt's daemon is installed but not running: systemctl enable --now libvirtd (or virtqemud.socket where libvirt runs modular daemons)"
    : `virsh is installed but libvirt's daemon is not: ${INSTALL_DAEMON}`;
}
