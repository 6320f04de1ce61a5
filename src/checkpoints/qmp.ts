import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { PlannedCommand } from "../engine/step.js";
import { gib } from "../steps/host/probes.js";
import type { BackendProbe, CheckpointBackend, CheckpointEntry } from "./backend.js";
import { QmpClient } from "./qmp-client.js";

/** snapshot-save writes all of the guest's RAM under TCG in seconds per GiB; an hour is a hung QEMU. */
const JOB_TIMEOUT_MS = 60 * 60_000;

interface QmpBlock {
  device: string;
  inserted?: {
    "node-name"?: string;
    file?: string;
    ro?: boolean;
    image?: {
      format?: string;
      filename?: string;
      "virtual-size"?: number;
      "actual-size"?: number;
      snapshots?: QmpSnapshot[];
    };
  };
}
interface QmpSnapshot {
  name: string;
  "vm-state-size": number;
  "date-sec": number;
}

/** The writable disks of the VM: every one is snapshotted, the first holds the RAM (vmstate). */
async function disks(client: QmpClient): Promise<QmpBlock[]> {
  const blocks = await client.execute<QmpBlock[]>("query-block");
  return blocks.filter((b) => b.inserted && !b.inserted.ro);
}

const nodeNames = (blocks: QmpBlock[]): string[] => blocks.map((b) => b.inserted!["node-name"]!).filter(Boolean);

/**
 * A QEMU the admin runs on this machine, through its QMP socket: snapshot-save / snapshot-load /
 * snapshot-delete jobs (QEMU 6.0 or later) store the RAM and every disk's state inside the qcow2 images.
 */
export class QmpBackend implements CheckpointBackend {
  readonly host = "local";
  readonly label: string;

  constructor(readonly socket: string) {
    this.label = `QEMU (QMP ${socket})`;
  }

  private async session<T>(work: (client: QmpClient) => Promise<T>): Promise<T> {
    const client = await QmpClient.connect(this.socket);
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  }

  async probe(): Promise<BackendProbe> {
    return this.session(async (client) => {
      const details: string[] = [];
      const version = client.version;
      const blocks = await disks(client);
      const memory = (
        await client.execute<{ "base-memory": number; "plugged-memory"?: number }>("query-memory-size-summary")
      )["base-memory"];
      const existing = listFrom(blocks);
      const files = blocks.map(
        (b) =>
          `${b.device || b.inserted?.["node-name"]}: ${b.inserted?.image?.format ?? "?"} ${b.inserted?.image?.filename ?? b.inserted?.file ?? ""}`,
      );
      details.push(
        `QEMU ${version ? `${version.major}.${version.minor}.${version.micro}` : "(version unknown)"}, ${gib(memory)} of RAM, disks: ${files.join("; ") || "none"}`,
      );
      const cost = {
        bytes: memory,
        how: `up to the VM's RAM (${gib(memory)}: the saved VM state is its pages in use, often far less) at once, plus every qcow2 cluster written after it (the copy rewrites up to the whole guest tree) as it grows`,
      };
      if (!version || version.major < 6)
        return {
          refusal: {
            why: `QEMU ${version ? `${version.major}.${version.minor}` : "of unknown version"} has no snapshot-save job (QEMU 6.0 added it)`,
            instead:
              "upgrade QEMU, or take the checkpoint by hand (savevm in the monitor) and set no checkpoints.target",
          },
          cost,
          existing,
          details,
        };
      if (blocks.length === 0)
        return {
          refusal: { why: "the VM has no writable disk", instead: "check the socket names the migration's target VM" },
          cost,
          existing,
          details,
        };
      const notQcow2 = blocks.filter((b) => b.inserted?.image?.format !== "qcow2");
      if (notQcow2.length > 0) {
        return {
          refusal: {
            why: `${notQcow2.map((b) => `${b.device || b.inserted?.["node-name"]} is ${b.inserted?.image?.format ?? "of unknown format"}`).join(", ")}: only qcow2 images hold internal snapshots`,
            instead:
              "convert the disk to qcow2 (qemu-img convert -O qcow2) before the migration, or copy the raw image aside while the VM is stopped and set no checkpoints.target",
          },
          cost,
          existing,
          details,
        };
      }
      const image = blocks[0]!.inserted?.image?.filename ?? blocks[0]!.inserted?.file;
      let freeBytes: number | undefined;
      if (image?.startsWith("/")) {
        const fs = await statfs(dirname(image)).catch(() => null);
        if (fs) freeBytes = fs.bavail * fs.bsize;
      }
      details.push(
        freeBytes !== undefined
          ? `free beside ${image}: ${gib(freeBytes)}`
          : `free space beside the image: unknown (${image ?? "no file name"})`,
      );
      return { freeBytes, cost, existing, details };
    });
  }

  async list(): Promise<CheckpointEntry[]> {
    return this.session(async (client) => listFrom(await disks(client)));
  }

  createCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: `(qmp ${this.socket}: snapshot-save tag=${name}, every writable disk, RAM in the first)`,
      purpose: "a checkpoint of the running VM: RAM, devices and disks, inside its qcow2 images",
    },
  ];
  revertCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: `(qmp ${this.socket}: snapshot-load tag=${name}, then cont)`,
      purpose: "the VM returns to the checkpoint: RAM, devices and disks; it runs on from there",
    },
  ];
  removeCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: `(qmp ${this.socket}: snapshot-delete tag=${name})`,
      purpose: "remove the checkpoint from the qcow2 images",
    },
  ];

  async create(name: string): Promise<void> {
    await this.session(async (client) => {
      const nodes = nodeNames(await disks(client));
      await client.runJob(
        "snapshot-save",
        { "job-id": `mudanza-save-${Date.now()}`, tag: name, vmstate: nodes[0]!, devices: nodes },
        JOB_TIMEOUT_MS,
      );
    });
  }

  async revert(name: string): Promise<void> {
    await this.session(async (client) => {
      const nodes = nodeNames(await disks(client));
      await client.runJob(
        "snapshot-load",
        { "job-id": `mudanza-load-${Date.now()}`, tag: name, vmstate: nodes[0]!, devices: nodes },
        JOB_TIMEOUT_MS,
      );
      // The load leaves the VM as it was saved (running); a VM paused or shut down since is started again.
      const status = await client.execute<{ running: boolean }>("query-status");
      if (!status.running) await client.execute("cont");
    });
  }

  async remove(name: string): Promise<void> {
    await this.session(async (client) => {
      const nodes = nodeNames(await disks(client));
      await client.runJob(
        "snapshot-delete",
        { "job-id": `mudanza-delete-${Date.now()}`, tag: name, devices: nodes },
        JOB_TIMEOUT_MS,
      );
    });
  }
}

/** Checkpoints on the disk that holds the RAM (a tag on every disk is one checkpoint). */
function listFrom(blocks: QmpBlock[]): CheckpointEntry[] {
  const snapshots = blocks[0]?.inserted?.image?.snapshots ?? [];
  return snapshots.map((s) => ({
    name: s.name,
    takenAt: new Date(s["date-sec"] * 1000).toISOString(),
    sizeBytes: s["vm-state-size"],
  }));
}
