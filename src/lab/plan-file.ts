import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { knownHostsLines } from "./keys.js";
import { LAB_NET } from "./recipe.js";

export interface LabPlanInput {
  planPath: string;
  knownHostsFile: string;
  identityFile: string;
  sourceHostKeys: string[];
  targetHostKeys: string[];
  /** Plan options to merge over the lab's defaults (openvz-to-kvm options). */
  options?: Record<string, unknown>;
  name?: string;
  /** The plan's checkpoints section, when the test takes checkpoints (the VM's QMP socket). */
  checkpoints?: Record<string, unknown>;
}

/**
 * The known_hosts the tool trusts: the container's keys at its venet address, and the VM's own keys
 * at both of its forwarded SSH ports (loopback for the tool, the veth address for the container).
 * After the copy the VM presents the source's keys; accepting that is the pipeline's job.
 */
export async function writeLabKnownHosts(
  path: string,
  sourceHostKeys: string[],
  targetHostKeys: string[],
): Promise<void> {
  const lines = [
    ...knownHostsLines(LAB_NET.sourceAddress, 22, sourceHostKeys),
    ...knownHostsLines("127.0.0.1", LAB_NET.vmSshPortLoopback, targetHostKeys),
    ...knownHostsLines(LAB_NET.hostAddress, LAB_NET.vmSshPortVeth, targetHostKeys),
  ];
  await writeFile(path, lines.join("\n") + "\n", { mode: 0o600 });
}

/** The migration plan for the lab: OpenVZ-like container → QEMU VM, over SSH with pinned host keys. */
export async function writeLabPlan(input: LabPlanInput): Promise<void> {
  await writeLabKnownHosts(input.knownHostsFile, input.sourceHostKeys, input.targetHostKeys);
  const endpoint = (host: string, port: number) => ({
    transport: "ssh",
    host,
    port,
    user: "root",
    identityFile: input.identityFile,
    knownHostsFile: input.knownHostsFile,
  });
  const plan = {
    kind: "openvz-to-kvm",
    name: input.name ?? "lab-ct101",
    source: endpoint(LAB_NET.sourceAddress, 22),
    target: endpoint("127.0.0.1", LAB_NET.vmSshPortLoopback),
    ...(input.checkpoints ? { checkpoints: input.checkpoints } : {}),
    options: {
      // the container reaches the VM's sshd through QEMU's hostfwd on the host's veth address
      targetAddressFromSource: LAB_NET.hostAddress,
      targetPortFromSource: LAB_NET.vmSshPortVeth,
      services: ["ssh", "mariadb"],
      rebootTimeoutSec: 900,
      ...input.options,
    },
  };
  const header = [
    "# Written by the mudanza lab: a systemd-nspawn container (OpenVZ-style venet config) -> a QEMU/TCG VM.",
    "# Lab-only tuning inside the container: /etc/initramfs-tools/conf.d/90-lab-tcg.conf (MODULES=dep) and",
    "# /etc/dpkg/dpkg.cfg.d/90-lab-unsafe-io, so the VM's kernel reinstall fits CI time under TCG.",
    "",
  ].join("\n");
  await writeFile(input.planPath, header + stringify(plan), { mode: 0o600 });
}
