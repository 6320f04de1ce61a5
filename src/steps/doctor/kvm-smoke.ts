import type { Host } from "../../hosts/host.js";
import { sh } from "../../hosts/quote.js";

export interface KvmSmoke {
  /** "ok": a guest CPU ran under KVM for 2 s; "failed": QEMU died (stderr says why); "unavailable": no /dev/kvm or no QEMU. */
  result: "ok" | "failed" | "unavailable";
  detail: string;
}

/**
 * /dev/kvm can exist and still be unusable (a nested or paravirtual KVM that rejects the host CPU model's
 * MSRs: QEMU aborts with "failed to set MSR"). The only honest test is to run a CPU: a blank guest with
 * `-cpu host` (what libguestfs and libvirt's host-passthrough use), no disk, no network, killed after 2 s.
 * Exit 124 from timeout means it was still running: KVM works.
 */
export const KVM_SMOKE_COMMAND = sh`timeout 2 qemu-system-x86_64 -accel kvm -cpu host -machine pc -m 64 -nodefaults -display none -nic none -no-reboot -serial none -monitor none`;

export async function kvmSmokeTest(host: Host, signal?: AbortSignal): Promise<KvmSmoke> {
  if (!(await host.stat("/dev/kvm"))) return { result: "unavailable", detail: "/dev/kvm does not exist (kvm_intel / kvm_amd module not loaded, or no hardware virtualization)" };
  const qemu = await host.exec("command -v qemu-system-x86_64", { signal });
  if (qemu.code !== 0) return { result: "unavailable", detail: "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86)" };
  const run = await host.exec(KVM_SMOKE_COMMAND, { timeoutMs: 15_000, signal });
  if (run.code === 124) return { result: "ok", detail: "a guest CPU ran under KVM with -cpu host" };
  const why = (run.stderr || run.stdout).trim().split("\n").filter(Boolean).slice(0, 3).join(" | ");
  return { result: "failed", detail: `QEMU with -accel kvm -cpu host exited ${run.code}${why ? `: ${why}` : ""}` };
}
