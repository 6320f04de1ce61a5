import type { FamilyKnowledge } from "../../distro/index.js";
import { stripVenetFromSysconfigNetwork } from "../../distro/rhel.js";
import type { NetworkFile } from "../network/network-files.js";

/** OpenVZ leftovers outside the network directories (migration-facts hole 7). */
export const VENET_LEFTOVERS = ["/etc/rc6.d/K00vzreboot", "/etc/init.d/vzreboot"];
export const DEBIAN_LOOPBACK =
  "# written by mudanza: the VM had no /etc/network/interfaces; the container's venet config was removed\nauto lo\niface lo inet loopback\n";

export type FixAction =
  | { kind: "restore"; path: string; content: string; link?: boolean; why: string }
  | { kind: "remove"; path: string; why: string }
  | { kind: "write"; path: string; content: string; why: string };

/**
 * What network-fixup does, computed from the target's captured config and the files present now:
 * captured files come back exactly; files the target did not have (venet config and whatever else came
 * with the container) are moved to the backup; /etc/sysconfig/network without a captured copy is only
 * stripped of its venet lines; a Debian system that had no interfaces file gets a loopback-only one.
 */
export function planNetworkFixup(
  family: FamilyKnowledge,
  captured: NetworkFile[],
  present: NetworkFile[],
  leftovers: string[],
): FixAction[] {
  const actions: FixAction[] = [];
  const capturedByPath = new Map(captured.map((f) => [f.path, f]));
  const presentByPath = new Map(present.map((f) => [f.path, f]));
  for (const file of present) {
    const own = capturedByPath.get(file.path);
    const venet = family.network.isVenet(file.path, file.content);
    if (own) {
      if (own.content !== file.content || !!own.link !== !!file.link)
        actions.push({
          kind: "restore",
          path: file.path,
          content: own.content,
          link: own.link,
          why: venet ? "venet config from the container; the VM's own file comes back" : "the VM's own file comes back",
        });
      continue;
    }
    if (file.path === "/etc/sysconfig/network") {
      const stripped = stripVenetFromSysconfigNetwork(file.content);
      if (stripped !== file.content)
        actions.push({
          kind: "write",
          path: file.path,
          content: stripped,
          why: "GATEWAYDEV/IPV6_DEFAULTDEV=venet0 and the fake gateway removed",
        });
      continue;
    }
    if (file.path === "/etc/network/interfaces") {
      if (venet)
        actions.push({
          kind: "write",
          path: file.path,
          content: DEBIAN_LOOPBACK,
          why: "the container's generated venet0 interfaces file; the VM had none",
        });
      continue;
    }
    actions.push({
      kind: "remove",
      path: file.path,
      why: venet ? "venet config written by OpenVZ" : "network config from the container that the VM did not have",
    });
  }
  for (const own of captured) {
    if (!presentByPath.has(own.path))
      actions.push({
        kind: "restore",
        path: own.path,
        content: own.content,
        link: own.link,
        why: "the VM's own file, deleted by the copy",
      });
  }
  for (const path of leftovers) actions.push({ kind: "remove", path, why: "OpenVZ leftover (container reboot hook)" });
  return actions;
}
