import { connectHost } from "../hosts/connect.js";
import type { Host } from "../hosts/host.js";
import type { CheckpointConfig, CheckpointsConfig } from "../plan/checkpoints.js";
import type { Endpoint } from "../plan/endpoint.js";
import type { CheckpointBackend } from "./backend.js";
import { LibvirtBackend } from "./libvirt.js";
import { ProxmoxBackend } from "./proxmox.js";
import { QmpBackend } from "./qmp.js";
import { VzctlBackend } from "./vzctl.js";

export type { CheckpointBackend, CheckpointEntry, BackendProbe, CheckpointCost } from "./backend.js";
export { checkpointName } from "./backend.js";

/** The host role a side's checkpoint backend runs its tools on (none for QMP: its socket is local). */
export const checkpointHostRole = (side: "target" | "source"): string => `${side}-checkpoints`;

/** The backend a plan's checkpoints entry names; `node` is the connected host for the remote ones. */
export function backendFor(config: CheckpointConfig, node: Host | undefined): CheckpointBackend {
  if (config.via === "qmp") return new QmpBackend(config.socket);
  if (!node) throw new Error(`no connection to ${config.host} for the ${config.via} checkpoints`);
  switch (config.via) {
    case "libvirt":
      return new LibvirtBackend(node, config.domain);
    case "proxmox":
      return new ProxmoxBackend(node, "qm", config.vmid);
    case "proxmox-pct":
      return new ProxmoxBackend(node, "pct", config.vmid);
    case "vzctl":
      return new VzctlBackend(node, String(config.ctid));
  }
}

/** How a remote backend's host is reached: the plan entry without its backend fields (an endpoint). */
export function nodeEndpoint(config: Exclude<CheckpointConfig, { via: "qmp" }>): Endpoint {
  const { host, port, user, sudo, identityFile, hostKey, knownHostsFile, transport, fixture, connectTimeoutSec } =
    config;
  return { host, port, user, sudo, identityFile, hostKey, knownHostsFile, transport, fixture, connectTimeoutSec };
}

/** Connects the hosts the plan's remote checkpoint backends run on, as roles target-checkpoints / source-checkpoints. */
export async function connectCheckpointHosts(
  checkpoints: CheckpointsConfig | undefined,
  hosts: Record<string, Host>,
  signal?: AbortSignal,
): Promise<void> {
  for (const side of ["target", "source"] as const) {
    const config = checkpoints?.[side];
    if (config && config.via !== "qmp")
      hosts[checkpointHostRole(side)] = await connectHost(nodeEndpoint(config), checkpointHostRole(side), { signal });
  }
}
