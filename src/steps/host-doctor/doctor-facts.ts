import { z } from "zod";

/**
 * What each doctor check found, as structured facts: its probe returns them, and the text report, the
 * `--json` events' details and the `--format json` document are all made from them (new-user trial 10:
 * the JSON left out most of what the text said). Adding a field keeps the schema's version; renaming or
 * removing one raises DOCTOR_REPORT_VERSION.
 */

export const virtualizationFactsSchema = z.object({
  cpus: z.number().int().describe("processors in /proc/cpuinfo"),
  model: z.string().optional().describe("the CPU's model name"),
  flag: z.enum(["vmx", "svm"]).nullable().describe("vmx (Intel VT-x) or svm (AMD-V) on every CPU; null: neither"),
  underHypervisor: z.boolean().describe("the hypervisor flag: this host is itself a VM"),
  kvm: z
    .enum(["ok", "failed", "unavailable"])
    .describe("ok: a test VM ran under KVM to its known end; unavailable: no test VM could be started"),
  kvmDetail: z.string().describe("what the KVM check found, in words"),
  kvmCheck: z.string().describe("the KVM check as the report names it: whether a test VM booted, and how long"),
});
export type VirtualizationFacts = z.infer<typeof virtualizationFactsSchema>;

export const bridgeStateSchema = z.enum(["present", "not-a-bridge", "missing"]);

export const libvirtFactsSchema = z.object({
  libvirt: z.string().describe('"reachable", or why libvirt did not answer (virsh\'s whole message)'),
  bridge: z.string().nullable().describe("the bridge checked (--bridge); null with --no-bridge"),
  bridgePresent: z.boolean().nullable().describe("the bridge exists; null when none was checked"),
  bridgeState: bridgeStateSchema
    .nullable()
    .describe("present, not-a-bridge (an interface of that name that is no bridge) or missing; null: not checked"),
  domains: z
    .array(
      z.object({
        name: z.string(),
        state: z.string().describe("virsh domstate"),
        memoryBytes: z.number(),
        disks: z.array(z.string().nullable()).describe("each disk's bus (virtio, ide, sata, scsi…)"),
        nics: z.array(z.string().nullable()).describe("each NIC's model; null: QEMU's default (rtl8139)"),
      }),
    )
    .describe("libvirt's defined domains; empty when libvirt did not answer"),
});
export type LibvirtFacts = z.infer<typeof libvirtFactsSchema>;

export const containerFactsSchema = z.object({
  confPath: z.string(),
  model: z.enum(["vswap", "ubc"]),
  guaranteedBytes: z.number().describe("RAM (vswap) or the VMGUARPAGES / OOMGUARPAGES barrier (UBC)"),
  burstBytes: z.number().nullable().describe("RAM + swap (vswap) or the PRIVVMPAGES limit (UBC); null: unlimited"),
  sources: z.array(z.string()).describe("where each figure came from in the config"),
  vmMemoryBytes: z.number().describe("the planned VM's memory (--vm-memory)"),
});

export const memoryFactsSchema = z.object({
  hostBytes: z.number().describe("MemTotal of /proc/meminfo"),
  vmBytes: z.number().nullable().describe("memory of libvirt's defined guests; null: libvirt did not answer"),
  plannedBytes: z.number().describe("the planned VM (--vm-memory); 0 without one"),
  overcommitPercent: z
    .number()
    .nullable()
    .describe("guests plus planned VM over host memory, in % (negative: below it); null: guests not counted"),
  libvirt: z.string().describe('"reachable", or why the guests were not counted'),
  container: containerFactsSchema.optional().describe("with --openvz-conf: the container's limits"),
});
export type MemoryFacts = z.infer<typeof memoryFactsSchema>;

export const ksmFactsSchema = z.object({
  run: z.number().int().describe("/sys/kernel/mm/ksm/run: 1 running, 0 stopped, 2 stopped and unmerged"),
  pagesShared: z.number().int(),
  pagesSharing: z.number().int(),
  pageSize: z.number().int(),
  savedBytes: z.number().describe("pages_sharing × page size: the memory saved now"),
  fullScans: z.number().int(),
});
export type KsmFacts = z.infer<typeof ksmFactsSchema>;
