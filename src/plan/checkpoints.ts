import { z } from "zod";
import { checkEndpoint, endpointFields } from "./endpoint.js";
import { hostNameSchema, safeArgumentSchema } from "./fields.js";

/**
 * The optional `checkpoints:` section of an OpenVZ → KVM plan: where the tool takes a checkpoint of each
 * side before a step it cannot undo, and where `mudanza rollback` returns to. The guest endpoints stay as
 * they are: a checkpoint backend is reached on its own (the VM's QEMU, its hypervisor, the container's node).
 * Each `.describe()` text is the one documentation of its field (the commented plan writes it).
 */

/** How a hypervisor or node is reached: the endpoint fields (port, user, identityFile, hostKey, ...), host required. */
const nodeFields = {
  ...endpointFields,
  host: hostNameSchema.describe(
    "the machine that runs the tool (reached by ssh like the endpoints: port, user, identityFile, hostKey)",
  ),
};

const vmid = z.number().int().min(100).max(999_999_999);

const qmp = z
  .object({
    via: z.literal("qmp"),
    socket: z
      .string()
      .startsWith("/", "an absolute path")
      .describe(
        "QEMU's QMP unix socket on this machine (qemu -qmp unix:PATH,server=on,wait=off); the VM's disk must be qcow2",
      ),
  })
  .strict()
  .describe(
    "a QEMU the admin runs on this machine: snapshot-save / snapshot-load jobs (QEMU 6.0 or later), RAM and disk in the qcow2 image",
  );

const libvirt = z
  .object({
    via: z.literal("libvirt"),
    ...nodeFields,
    domain: safeArgumentSchema("libvirt domain name", 200).describe("the domain's name as `virsh list --all` shows it"),
  })
  .strict()
  .superRefine(checkEndpoint)
  .describe("a libvirt host: virsh snapshot-create-as (internal snapshot, qcow2 disks only)");

const proxmox = z
  .object({ via: z.literal("proxmox"), ...nodeFields, vmid: vmid.describe("the VM's id (qm list)") })
  .strict()
  .superRefine(checkEndpoint)
  .describe("a Proxmox VE node: qm snapshot (the VM's storage must support snapshots: qcow2, LVM-thin, ZFS, Ceph RBD)");

const vzctl = z
  .object({
    via: z.literal("vzctl"),
    ...nodeFields,
    ctid: z
      .union([z.number().int().min(1), safeArgumentSchema("container id", 64)])
      .describe("the container's CTID or name (vzlist -a)"),
  })
  .strict()
  .superRefine(checkEndpoint)
  .describe("an OpenVZ 7 node: vzctl snapshot (ploop containers only; OpenVZ 6 simfs has none)");

const proxmoxPct = z
  .object({ via: z.literal("proxmox-pct"), ...nodeFields, vmid: vmid.describe("the container's id (pct list)") })
  .strict()
  .superRefine(checkEndpoint)
  .describe("a Proxmox VE node: pct snapshot (the container's storage must support snapshots)");

export const targetCheckpointSchema = z.discriminatedUnion("via", [qmp, libvirt, proxmox]);
export const sourceCheckpointSchema = z.discriminatedUnion("via", [vzctl, proxmoxPct]);

export const checkpointsSchema = z
  .object({
    target: targetCheckpointSchema
      .optional()
      .describe("where the target VM's checkpoints are taken (before the first copy and before the pre-update step)"),
    source: sourceCheckpointSchema
      .optional()
      .describe("where the source container's checkpoint is taken (before the pre-update step)"),
  })
  .strict();

export type CheckpointsConfig = z.infer<typeof checkpointsSchema>;
export type TargetCheckpointConfig = z.infer<typeof targetCheckpointSchema>;
export type SourceCheckpointConfig = z.infer<typeof sourceCheckpointSchema>;
export type CheckpointConfig = TargetCheckpointConfig | SourceCheckpointConfig;

/** The section as `mudanza plan openvz-to-kvm` writes it: commented out, each backend with what it needs. */
export function commentedCheckpointLines(): string[] {
  const line = (schema: z.ZodType, example: string): string[] => [
    `#   ${example}`,
    `#     # ${schema.description ?? ""}`,
  ];
  return [
    "# checkpoints: where to take a checkpoint before each step nothing else can undo, and where",
    "# `mudanza rollback THIS-FILE` returns to (without it, each such gate warns that nothing undoes it).",
    "# checkpoints:",
    "#   target:   # one of:",
    ...line(qmp, "  { via: qmp, socket: /run/vm1/qmp.sock }"),
    ...line(libvirt, "  { via: libvirt, host: kvm1.example.org, domain: web1 }"),
    ...line(proxmox, "  { via: proxmox, host: pve1.example.org, vmid: 101 }"),
    "#   source:   # one of:",
    ...line(vzctl, "  { via: vzctl, host: node1.example.org, ctid: 101 }"),
    ...line(proxmoxPct, "  { via: proxmox-pct, host: pve1.example.org, vmid: 101 }"),
  ];
}
