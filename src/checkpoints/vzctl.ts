import { createHash } from "node:crypto";
import type { PlannedCommand } from "../engine/step.js";
import { execOk, type Host } from "../hosts/host.js";
import { cmd } from "../hosts/quote.js";
import { gib } from "../steps/host/probes.js";
import { parseDf } from "../steps/host/df.js";
import type { BackendProbe, CheckpointBackend, CheckpointEntry } from "./backend.js";

const LONG_MS = 60 * 60_000;

/** `vzlist -H -o ctid,status,layout,private CTID`: one line, fields separated by blanks. */
export function parseVzlistLine(text: string): { status: string; layout: string; private: string } | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 4) return null;
  return { status: parts[1]!, layout: parts[2]!, private: parts[3]! };
}

/** `vzctl snapshot-list CTID -H -o uuid,date,name`: "{uuid} YYYY-MM-DD HH:MM:SS name" per snapshot. */
export function parseVzSnapshotList(text: string): Array<CheckpointEntry & { uuid: string }> {
  const out: Array<CheckpointEntry & { uuid: string }> = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\{[0-9a-f-]{36}\})\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(.*?)\s*$/i.exec(line);
    if (m) out.push({ uuid: m[1]!, takenAt: m[2]!, name: m[3]! });
  }
  return out;
}

/** vzctl names a snapshot by UUID: one derived from the checkpoint's name, so the gate and the run agree. */
export function snapshotUuid(name: string): string {
  const h = createHash("sha256").update(`mudanza checkpoint ${name}`).digest("hex");
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}}`;
}

/**
 * An OpenVZ container on its node, through vzctl over ssh: `vzctl snapshot` (ploop containers only:
 * OpenVZ 7, or OpenVZ 6 with ploop) freezes a running container, dumps its memory and starts a new delta.
 */
export class VzctlBackend implements CheckpointBackend {
  readonly label: string;

  constructor(
    private readonly node: Host,
    readonly ctid: string,
  ) {
    this.label = `OpenVZ container ${ctid} on ${node.address}`;
  }

  get host(): string {
    return this.node.role;
  }

  async probe(signal?: AbortSignal): Promise<BackendProbe> {
    const line = parseVzlistLine(
      (await execOk(this.node, cmd("vzlist", "-H", "-o", "ctid,status,layout,private", this.ctid), { signal })).stdout,
    );
    if (!line) throw new Error(`vzlist printed nothing usable for container ${this.ctid} on ${this.node.address}`);
    const details = [`container ${this.ctid}: ${line.status}, ${line.layout} at ${line.private}`];
    const cost = {
      bytes: 0,
      how: "a new ploop delta that grows with every block written after it (the pre-update step's package upgrades), plus the memory dump of the running container (its RAM in use, not measured here)",
    };
    if (line.layout !== "ploop") {
      return {
        refusal: {
          why: `container ${this.ctid} is on ${line.layout} (OpenVZ 6 style): vzctl takes snapshots of ploop containers only`,
          instead: `take a backup first (vzdump --suspend ${this.ctid}, or vzctl convert ${this.ctid} to move it to ploop while it is stopped) and set no checkpoints.source`,
        },
        cost,
        existing: [],
        details,
      };
    }
    const existing = await this.list(signal);
    const df = await this.node.exec(cmd("df", "-P", "-B1", line.private), { signal });
    const free = df.code === 0 ? parseDf(df.stdout)?.availableBytes : undefined;
    details.push(
      free !== undefined
        ? `free under ${line.private}: ${gib(free)}`
        : `free space under ${line.private}: unknown (df failed)`,
    );
    return { freeBytes: free, cost, existing, details };
  }

  async list(signal?: AbortSignal): Promise<CheckpointEntry[]> {
    return parseVzSnapshotList(
      (await execOk(this.node, cmd("vzctl", "snapshot-list", this.ctid, "-H", "-o", "uuid,date,name"), { signal }))
        .stdout,
    ).map(({ name, takenAt }) => ({ name, takenAt }));
  }

  createCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: cmd(
        "vzctl",
        "snapshot",
        this.ctid,
        "--id",
        snapshotUuid(name),
        "--name",
        name,
        "--description",
        "checkpoint taken by mudanza",
      ),
      purpose: "a snapshot of the container: its disk, and its memory while running (briefly frozen)",
    },
  ];
  revertCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: cmd("vzctl", "snapshot-switch", this.ctid, "--id", snapshotUuid(name)),
      purpose: "the container returns to the checkpoint (running again if it ran then)",
    },
  ];
  removeCommands = (name: string): PlannedCommand[] => [
    {
      host: this.host,
      command: cmd("vzctl", "snapshot-delete", this.ctid, "--id", snapshotUuid(name)),
      purpose: "remove the checkpoint (its delta is merged)",
    },
  ];

  create = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.createCommands(name), signal);
  revert = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.revertCommands(name), signal);
  remove = (name: string, signal?: AbortSignal): Promise<void> => this.runAll(this.removeCommands(name), signal);

  private async runAll(commands: PlannedCommand[], signal?: AbortSignal): Promise<void> {
    for (const c of commands) await execOk(this.node, c.command, { signal, timeoutMs: LONG_MS });
  }
}
