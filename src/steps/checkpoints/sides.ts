import { backendFor, checkpointHostRole, checkpointName, type CheckpointBackend } from "../../checkpoints/index.js";
import type { CheckpointConfig } from "../../plan/checkpoints.js";
import type { OvzContext, OvzPlan } from "../openvz-to-kvm/plan.js";

export type CheckpointSide = "target" | "source";
export type CheckpointPurpose = "before-update" | "before-copy";

/** The checkpoint names of one migration: stable across runs, so a resumed run finds the one it took. */
export const nameFor = (plan: OvzPlan, purpose: CheckpointPurpose): string =>
  checkpointName(plan.name ?? plan.target.host ?? "migration", purpose);

export const configFor = (plan: OvzPlan, side: CheckpointSide): CheckpointConfig | undefined =>
  plan.checkpoints?.[side];

/** The backend a side's checkpoints go through, on its own connection (QMP needs none: its socket is local). */
export function backendOf(
  ctx: Pick<OvzContext, "hosts">,
  config: CheckpointConfig,
  side: CheckpointSide,
): CheckpointBackend {
  return backendFor(config, config.via === "qmp" ? undefined : ctx.hosts[checkpointHostRole(side)]);
}

/** Where a checkpoint lives, for humans: "target via qmp (/run/vm1/qmp.sock)". */
export function describeConfig(config: CheckpointConfig): string {
  switch (config.via) {
    case "qmp":
      return `qmp ${config.socket}`;
    case "libvirt":
      return `libvirt ${config.domain} on ${config.host}`;
    case "proxmox":
    case "proxmox-pct":
      return `${config.via} ${config.vmid} on ${config.host}`;
    case "vzctl":
      return `vzctl ${config.ctid} on ${config.host}`;
  }
}
