import type { PlannedCommand } from "../engine/step.js";
import { execOk, type Host } from "../hosts/host.js";
import { cmd } from "../hosts/quote.js";
import { gib } from "../steps/host/probes.js";
import type { BackendProbe, CheckpointBackend, CheckpointEntry } from "./backend.js";

const LONG_MS = 60 * 60_000;
const MIB = 1024 ** 2;

/** `qm config` / `pct config`: one "key: value" line per setting. */
export function parseGuestConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z0-9_-]+): (.*)$/i.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export interface GuestVolume {
  key: string;
  storage: string;
  volume: string;
}

/** The guest's disks (a VM's scsi/virtio/sata/ide/efidisk/tpmstate, a container's rootfs and mount points), CD-ROMs left out. */
export function guestVolumes(config: Record<string, string>): GuestVolume[] {
  const out: GuestVolume[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!/^(scsi|virtio|sata|ide|efidisk|tpmstate|mp)\d+$|^rootfs$/.test(key) || /media=cdrom/.test(value)) continue;
    const m = /^([^:,]+):([^,]+)/.exec(value);
    if (m) out.push({ key, storage: m[1]!, volume: m[2]! });
  }
  return out;
}

export interface StorageStatus {
  name: string;
  type: string;
  active: boolean;
  availableBytes: number;
}

/** `pvesm status`: Name Type Status Total Used Available % (sizes in KiB). */
export function parsePvesmStatus(text: string): StorageStatus[] {
  return text
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length >= 7)
    .map(([name, type, status, , , available]) => ({
      name: name!,
      type: type!,
      active: status === "active",
      availableBytes: Number(available) * 1024,
    }));
}

/**
 * Whether Proxmox can snapshot a volume on this storage type (the storage table of the Proxmox VE admin
 * guide): thin LVM, ZFS, Ceph RBD and btrfs always; file storages only for qcow2 VM images.
 */
export function storageSnapshots(type: string, volume: string, tool: "qm" | "pct"): boolean {
  if (["lvmthin", "zfspool", "rbd", "btrfs", "zfs"].includes(type)) return true;
  if (["dir", "nfs", "cifs", "glusterfs", "cephfs"].includes(type)) return tool === "qm" && volume.endsWith(".qcow2");
  return false;
}

/** `qm listsnapshot` / `pct listsnapshot`: a tree ("`-> name  date time  description"); "current" is where the guest is now. */
export function parseListSnapshot(text: string): CheckpointEntry[] {
  const out: CheckpointEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*`->\s+(\S+)\s+(?:(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d))?/.exec(line);
    if (!m || m[1] === "current") continue;
    out.push({ name: m[1]!, ...(m[2] ? { takenAt: `${m[2]} ${m[3]}` } : {}) });
  }
  return out;
}

/**
 * A Proxmox VE guest through `qm` (a VM) or `pct` (a container) on its node over ssh. Snapshots live on
 * the guest's storage, which must support them.
 */
export class ProxmoxBackend implements CheckpointBackend {
  readonly label: string;

  constructor(
    private readonly node: Host,
    private readonly tool: "qm" | "pct",
    readonly vmid: number,
  ) {
    this.label = `Proxmox ${tool === "qm" ? "VM" : "container"} ${vmid} on ${node.address}`;
  }

  get host(): string {
    return this.node.role;
  }

  async probe(signal?: AbortSignal): Promise<BackendProbe> {
    const config = parseGuestConfig((await execOk(this.node, cmd(this.tool, "config", this.vmid), { signal })).stdout);
    const volumes = guestVolumes(config);
    const storages = parsePvesmStatus((await execOk(this.node, cmd("pvesm", "status"), { signal })).stdout);
    const memory = Number(config.memory ?? 0) * MIB;
    const existing = await this.list(signal);
    const details = [
      `${this.label}: ${gib(memory)} of RAM, volumes: ${volumes.map((v) => `${v.key} ${v.storage}:${v.volume}`).join("; ") || "none"}`,
    ];
    // A VM's snapshot saves its RAM (vmstate) beside the disks; a container's has no RAM to save.
    const cost =
      this.tool === "qm"
        ? {
            bytes: memory,
            how: `the VM's RAM (${gib(memory)}, qm config memory: the vmstate volume) at once, plus every block written after it on thin storage (the copy rewrites up to the whole guest tree)`,
          }
        : {
            bytes: 0,
            how: "nothing at once (a container snapshot saves no RAM); every block written after it on thin storage (the copy rewrites up to the whole guest tree)",
          };
    const unsupported: string[] = [];
    for (const v of volumes) {
      const storage = storages.find((s) => s.name === v.storage);
      if (!storage) unsupported.push(`${v.key} is on ${v.storage}, which pvesm status does not list`);
      else if (!storageSnapshots(storage.type, v.volume, this.tool))
        unsupported.push(`${v.key} is on ${v.storage} (type ${storage.type}), which cannot snapshot ${v.volume}`);
    }
    if (volumes.length === 0)
      return { refusal: { why: `${this.label} has no disk`, instead: "check the vmid" }, cost, existing, details };
    if (unsupported.length > 0) {
      return {
        refusal: {
          why: `${unsupported.join("; ")}`,
          instead: `move the disks to a storage with snapshots (LVM-thin, ZFS, Ceph RBD, or qcow2 on a directory: ${this.tool === "qm" ? "qm disk move" : "pct move-volume"}), or take a vzdump backup first (vzdump ${this.vmid} --mode snapshot) and set no checkpoint for this side`,
        },
        cost,
        existing,
        details,
      };
    }
    const first = storages.find((s) => s.name === volumes[0]!.storage)!;
    details.push(`storage ${first.name} (${first.type}): ${gib(first.availableBytes)} available`);
    return { freeBytes: first.availableBytes, cost, existing, details };
  }

  async list(signal?: AbortSignal): Promise<CheckpointEntry[]> {
    return parseListSnapshot((await execOk(this.node, cmd(this.tool, "listsnapshot", this.vmid), { signal })).stdout);
  }

  createCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: cmd(
        this.tool,
        "snapshot",
        this.vmid,
        name,
        "--description",
        "checkpoint taken by mudanza",
        ...(this.tool === "qm" ? ["--vmstate", "1"] : []),
      ),
      purpose:
        this.tool === "qm" ? "a snapshot of the running VM, its RAM included" : "a snapshot of the container's volumes",
    },
  ];
  revertCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: cmd(this.tool, "rollback", this.vmid, name, "--start", "1"),
      purpose: "the guest returns to the checkpoint and is started",
    },
  ];
  removeCommands = (name: string): PlannedCommand[] => [
    { host: this.host, command: cmd(this.tool, "delsnapshot", this.vmid, name), purpose: "remove the checkpoint" },
  ];

  create = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.createCommands(name), signal);
  revert = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.revertCommands(name), signal);
  remove = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.removeCommands(name), signal);

  private async runAll(commands: PlannedCommand[], signal?: AbortSignal): Promise<void> {
    for (const c of commands) await execOk(this.node, c.command, { signal, timeoutMs: LONG_MS });
  }
}
