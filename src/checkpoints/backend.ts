import type { PlannedCommand } from "../engine/step.js";

/** One checkpoint as its backend lists it. */
export interface CheckpointEntry {
  name: string;
  /** When it was taken, as the backend says it (ISO 8601 when it gives a time stamp). */
  takenAt?: string;
  /** What it holds now, when the backend says (a QEMU snapshot's VM state size). */
  sizeBytes?: number;
}

/** What a checkpoint costs in disk, and how that figure was reached (said to the admin as it is). */
export interface CheckpointCost {
  bytes: number;
  how: string;
}

/**
 * What a backend found before taking a checkpoint: whether it can, where it cannot why (and what to do
 * instead), the room there is and what a checkpoint would cost.
 */
export interface BackendProbe {
  /** Set when this backend cannot take a checkpoint of this guest: why, and the alternative. */
  refusal?: { why: string; instead: string };
  /** Free bytes where the checkpoint is stored; undefined when the backend cannot tell. */
  freeBytes?: number;
  cost: CheckpointCost;
  /** The checkpoints there are now. */
  existing: CheckpointEntry[];
  details: string[];
}

/**
 * A place checkpoints are taken: the VM's own QEMU (QMP), a libvirt or Proxmox host, an OpenVZ node.
 * `*Commands` return what the gate shows; create/revert/remove run exactly those.
 */
export interface CheckpointBackend {
  /** "QEMU (QMP /run/vm1/qmp.sock)", "libvirt domain web1 on kvm1.example.org", ... */
  readonly label: string;
  /** The host role its commands run on ("local" for QMP: the socket is on this machine). */
  readonly host: string;
  probe(signal?: AbortSignal): Promise<BackendProbe>;
  list(signal?: AbortSignal): Promise<CheckpointEntry[]>;
  createCommands(name: string): PlannedCommand[];
  revertCommands(name: string): PlannedCommand[];
  removeCommands(name: string): PlannedCommand[];
  create(name: string, signal?: AbortSignal): Promise<void>;
  revert(name: string, signal?: AbortSignal): Promise<void>;
  remove(name: string, signal?: AbortSignal): Promise<void>;
}

/** A checkpoint name every backend accepts (QEMU tags, virsh and Proxmox snapshot names: letters first, ≤ 40). */
export function checkpointName(migrationId: string, purpose: "before-copy" | "before-update"): string {
  const stem = migrationId.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40 - purpose.length - 4);
  return `mz-${stem}-${purpose}`.replace(/^mz--/, "mz-");
}

export const GIB = 1024 ** 3;
