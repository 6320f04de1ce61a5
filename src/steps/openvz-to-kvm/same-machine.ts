import { isIPv4, isIPv6 } from "node:net";
import { blocker, type Finding } from "../../engine/finding.js";
import type { Host } from "../../hosts/host.js";
import type { PushRoute } from "../../plan/push-route.js";

/** 127.0.0.0/8, ::1 (also as IPv4-mapped 127.x), `localhost` and its subdomains: from the source, the source. */
export function isLoopbackAddress(address: string): boolean {
  const name = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIPv4(name)) return name.startsWith("127.");
  if (!isIPv6(name)) return false;
  const normalized = new URL(`http://[${name}]/`).hostname; // "[::1]", "[::ffff:7f00:1]"
  return normalized === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(normalized);
}

/**
 * The copy runs on the source and pushes `rsync --delete /` to the target: if both are one machine, it
 * copies the system onto itself. Two signs, both never acknowledgeable: the two connections verified the
 * same host key (said only when both fingerprints are known, i.e. ssh hosts), and the address the source
 * pushes to is a loopback one. `copied`: after a pass the target presents the source's keys by design.
 */
export function sameMachineFindings(
  source: Host,
  target: Host,
  push: PushRoute | undefined,
  copied: boolean,
): Finding[] {
  const findings: Finding[] = [];
  const sourceKey = source.hostKeyFingerprint;
  if (!copied && sourceKey && sourceKey === target.hostKeyFingerprint)
    findings.push(
      blocker(
        "Source and target are the same machine",
        `the source (${source.address}) and the target (${target.address}) presented the same host key ${sourceKey}: the copy would push the source's root onto itself with --delete`,
        "point the plan's target at the new VM (check target.host and target.port); if they are two machines made from one image with the same host keys, give the target new ones first (`rm /etc/ssh/ssh_host_*_key*; ssh-keygen -A; systemctl restart ssh` on the target: the copy replaces them with the source's anyway) and pin its new key",
      ),
    );
  if (push && isLoopbackAddress(push.address))
    findings.push(
      blocker(
        "The source would push to itself",
        `the source pushes the copy to ${push.address}:${push.port}, a loopback address: seen from the source that is the source itself, and the copy would overwrite its root with --delete`,
        "set options.targetAddressFromSource (and targetPortFromSource) to the address and port the source reaches the target at",
        "source",
      ),
    );
  return findings;
}
