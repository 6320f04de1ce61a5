import { OVZ_ACKNOWLEDGEABLE } from "./options/openvz-to-kvm.js";

/**
 * What to write for a key left empty (`host: ""`), by the key's name (an entry of a list by the list's):
 * said once instead of zod's "Too small: expected string to have >=1 characters" beside the key's own rules.
 */
const WHAT_TO_WRITE: Record<string, string> = {
  host: "write the host name or address",
  user: "write the user name, or leave the key out for root",
  name: "write the migration's name, or leave the key out to name it after the file",
  identityFile: "write the private key's path, or leave the key out for ssh-agent and ~/.ssh/config",
  knownHostsFile:
    "write the known_hosts file's path, or leave the key out for ssh's own (~/.ssh/config, ~/.ssh/known_hosts)",
  hostKey: "write the SHA256 fingerprint ssh-keygen -lf prints, or leave the key out",
  targetAddressFromSource: "write the address, or leave the key out to use the target's host",
  databases: "write a systemd unit name, or remove the entry",
  services: "write a systemd unit name, or remove the entry",
  path: "write an absolute path",
  reason: "write why",
  id: `write one of ${Object.keys(OVZ_ACKNOWLEDGEABLE).join(", ")}`,
  guest: "write the guest's name under /etc/vservers",
  vserversConfDir: "write an absolute path, or leave the key out for the default",
  vzConfDir: "write an absolute path, or leave the key out for the default",
  socket: "write the QMP socket's absolute path",
  domain: "write the domain's name as virsh list --all shows it",
  ctid: "write the container's CTID or name",
};

/** "write the host name or address" for `source.host`; the key itself is named by the caller. */
export function emptyValueText(path: readonly PropertyKey[]): string {
  const key = [...path].reverse().find((part) => typeof part === "string");
  return (key !== undefined && WHAT_TO_WRITE[key]) || "write a value, or leave the key out if it is optional";
}
