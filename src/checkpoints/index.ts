import type { Host } from "../hosts/host.js";
import type { CheckpointConfig } from "../plan/checkpoints.js";
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
