import { dirname } from "node:path";
import type { PlannedCommand } from "../engine/step.js";
import { execOk, type Host } from "../hosts/host.js";
import { cmd } from "../hosts/quote.js";
import { parseImageInfo } from "../kvm/qemu-img-info.js";
import { parseDominfo, parseDomblklist } from "../kvm/virsh.js";
import { gib } from "../steps/host/probes.js";
import { parseDf } from "../steps/host/df.js";
import type { BackendProbe, CheckpointBackend, CheckpointEntry } from "./backend.js";

const URI = "qemu:///system";
const virsh = (...args: string[]): string => cmd("virsh", "-c", URI, ...args);
const LONG_MS = 60 * 60_000;

/** `virsh snapshot-list DOMAIN`: " Name   Creation Time   State" header, a dashed rule, one row per snapshot. */
export function parseSnapshotList(text: string): CheckpointEntry[] {
  const lines = text.split("\n");
  const rule = lines.findIndex((l) => /^-{5,}\s*$/.test(l.trim()));
  if (rule < 0) return [];
  const out: CheckpointEntry[] = [];
  for (const line of lines.slice(rule + 1)) {
    const m = /^\s*(\S+)\s+(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d{4})\s+(.+?)\s*$/.exec(line);
    if (m)
      out.push({
        name: m[1]!,
        takenAt: new Date(`${m[2]}T${m[3]}${m[4]!.slice(0, 3)}:${m[4]!.slice(3)}`).toISOString(),
      });
  }
  return out;
}

/** `virsh dominfo`'s "Max memory:     4194304 KiB". */
const memoryBytes = (info: Record<string, string>): number =>
  Number(/^(\d+) KiB$/.exec(info["Max memory"] ?? "")?.[1] ?? 0) * 1024;

/**
 * A libvirt domain on a KVM host, through virsh over ssh: internal snapshots (snapshot-create-as), which
 * libvirt takes only when every disk is qcow2.
 */
export class LibvirtBackend implements CheckpointBackend {
  readonly label: string;

  constructor(
    private readonly node: Host,
    readonly domain: string,
  ) {
    this.label = `libvirt domain ${domain} on ${node.address}`;
  }

  get host(): string {
    return this.node.role;
  }

  async probe(signal?: AbortSignal): Promise<BackendProbe> {
    const info = parseDominfo((await execOk(this.node, virsh("dominfo", this.domain), { signal })).stdout);
    const memory = memoryBytes(info);
    const disks = parseDomblklist(
      (await execOk(this.node, virsh("domblklist", this.domain, "--details"), { signal })).stdout,
    ).filter((d) => d.device === "disk");
    const details = [
      `domain ${this.domain}: ${info.State ?? "state unknown"}, ${gib(memory)} of RAM, disks: ${disks.map((d) => `${d.target} ${d.source}`).join("; ") || "none"}`,
    ];
    const cost = {
      bytes: memory,
      how: `up to the domain's RAM (${gib(memory)}, from virsh dominfo; the saved state is its pages in use) at once, plus every qcow2 cluster written after it (the copy rewrites up to the whole guest tree)`,
    };
    const existing = await this.list(signal);
    const formats: string[] = [];
    for (const disk of disks) {
      if (disk.type !== "file") {
        formats.push(`${disk.target} is a ${disk.type} disk`);
        continue;
      }
      const image = parseImageInfo(
        (await execOk(this.node, cmd("qemu-img", "info", "--output=json", "-U", disk.source), { signal })).stdout,
      );
      if (image.format !== "qcow2") formats.push(`${disk.target} (${disk.source}) is ${image.format}`);
    }
    if (disks.length === 0)
      return {
        refusal: { why: `the domain ${this.domain} has no disk`, instead: "check checkpoints.target.domain" },
        cost,
        existing,
        details,
      };
    if (formats.length > 0) {
      return {
        refusal: {
          why: `${formats.join(", ")}: libvirt takes internal snapshots of qcow2 files only`,
          instead: `convert the disk to qcow2 while the domain is shut off (qemu-img convert -O qcow2, then virsh edit ${this.domain}), or copy the image aside while it is shut off and set no checkpoints.target`,
        },
        cost,
        existing,
        details,
      };
    }
    const df = await this.node.exec(cmd("df", "-P", "-B1", dirname(disks[0]!.source)), { signal });
    const free = df.code === 0 ? parseDf(df.stdout)?.availableBytes : undefined;
    details.push(
      free !== undefined
        ? `free beside ${disks[0]!.source}: ${gib(free)}`
        : `free space beside ${disks[0]!.source}: unknown (df failed)`,
    );
    return { freeBytes: free, cost, existing, details };
  }

  async list(signal?: AbortSignal): Promise<CheckpointEntry[]> {
    return parseSnapshotList((await execOk(this.node, virsh("snapshot-list", this.domain), { signal })).stdout);
  }

  createCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: virsh("snapshot-create-as", this.domain, name, "checkpoint taken by mudanza", "--atomic"),
      purpose: "an internal snapshot of the running domain: RAM, devices and every qcow2 disk",
    },
  ];
  revertCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: virsh("snapshot-revert", this.domain, name, "--running", "--force"),
      purpose: "the domain returns to the checkpoint and runs on from there",
    },
  ];
  removeCommands = (name: string): PlannedCommand[] => [
    { host: this.host, command: virsh("snapshot-delete", this.domain, name), purpose: "remove the checkpoint" },
  ];

  create = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.createCommands(name), signal);
  revert = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.revertCommands(name), signal);
  remove = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.removeCommands(name), signal);

  private async runAll(commands: PlannedCommand[], signal?: AbortSignal): Promise<void> {
    for (const c of commands) await execOk(this.node, c.command, { signal, timeoutMs: LONG_MS });
  }
}
