/** What /proc/cpuinfo says about hardware virtualization (x86: vmx = Intel VT-x, svm = AMD-V). */
export interface CpuVirtualization {
  cpus: number;
  vendor?: string;
  model?: string;
  /** "vmx", "svm" or null when the CPU (or the hypervisor under this host) does not expose either. */
  flag: "vmx" | "svm" | null;
  /** The "hypervisor" flag: this host is itself a virtual machine (nested virtualization then matters). */
  underHypervisor: boolean;
}

export function parseCpuinfo(text: string): CpuVirtualization {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const field = (block: string, name: string): string | undefined =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(block)?.[1]?.trim();
  const first = blocks[0] ?? "";
  // Every CPU must have the flag: a mixed list would mean a broken BIOS setting or microcode.
  const flagSets = blocks.map((b) => new Set((field(b, "flags") ?? "").split(/\s+/)));
  const all = (flag: string): boolean => flagSets.length > 0 && flagSets.every((s) => s.has(flag));
  return {
    cpus: blocks.length,
    vendor: field(first, "vendor_id"),
    model: field(first, "model name"),
    flag: all("vmx") ? "vmx" : all("svm") ? "svm" : null,
    underHypervisor: all("hypervisor"),
  };
}
