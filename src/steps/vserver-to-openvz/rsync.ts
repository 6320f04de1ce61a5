import { cmd } from "../../hosts/quote.js";
import { pushRouteOf, type PushRoute } from "../../plan/push-route.js";
import { receiverRsyncPath, rsyncArgv } from "../rsync/index.js";
import { FIXUP_BACKUP_REL, type VsPlan } from "./context.js";

/**
 * What the copy leaves out of a VServer guest, with why. Only the content of the pseudo filesystems:
 * their mount points must exist in the container (vzctl mounts /proc and /sys there). From the host,
 * these are normally empty anyway: util-vserver mounts them in the guest's own namespace.
 */
export const VSERVER_EXCLUDES: Array<{ pattern: string; reason: string }> = [
  { pattern: "/proc/*", reason: "kernel pseudo filesystem (content visible only with the nonamespace flag)" },
  { pattern: "/sys/*", reason: "kernel pseudo filesystem" },
  { pattern: "/dev/pts/*", reason: "pty nodes of the running guest; devpts is mounted fresh in the container" },
  {
    pattern: `/${FIXUP_BACKUP_REL}`,
    reason:
      "the fix-ups' backups of the files they changed, kept in the copy; a rerun of the copy must not delete them",
  },
];

/** How the source host reaches the node: the plan's override, else the target endpoint. */
export function nodeFromSource(plan: VsPlan): PushRoute | null {
  if (plan.source.transport === "local" && plan.target.transport === "local") return null; // same machine: a local copy
  return pushRouteOf(plan, "node");
}

/** -e for rsync and the reachability check: the source's own ssh, host keys checked as configured there. */
function sshArgv(port: number): string[] {
  return ["ssh", "-p", String(port), "-o", "BatchMode=yes"];
}

export function sourceSshCheckCommand(plan: VsPlan): string {
  const node = nodeFromSource(plan);
  if (!node) return "true";
  return cmd(...sshArgv(node.port), `${node.user}@${node.address}`, "true");
}

/**
 * The push from the VServer host into the node's private area: -aHAXS --numeric-ids --delete (the
 * shared builder), with the VServer excludes. Hard links are kept within the guest; links a unified
 * guest shared with other guests (vunify) become separate files, and the immutable/iunlink
 * attributes that protected them are not copied by rsync, so the copy is unshared as it must be.
 */
export function vserverRsyncArgv(plan: VsPlan, vdir: string, privateDir: string): string[] {
  const node = nodeFromSource(plan);
  const to = node
    ? `${node.user}@${node.address.includes(":") ? `[${node.address}]` : node.address}:${privateDir.replace(/\/?$/, "/")}`
    : privateDir;
  const argv = rsyncArgv({ from: vdir, to, excludes: [], keepDirlinks: false });
  const tail = argv.splice(-2, 2);
  for (const e of VSERVER_EXCLUDES) argv.push(`--exclude=${e.pattern}`);
  if (node) argv.push("-e", cmd(...sshArgv(node.port)), `--rsync-path=${receiverRsyncPath()}`);
  return [...argv, ...tail];
}

export const vserverRsyncCommand = (plan: VsPlan, vdir: string, privateDir: string): string =>
  cmd(...vserverRsyncArgv(plan, vdir, privateDir));
