import type { ExecResult, Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";

export interface KvmSmoke {
  /** "ok": a kernel booted under KVM to its known end; "failed": it did not (detail says how); "unavailable": nothing to test with. */
  result: "ok" | "failed" | "unavailable";
  detail: string;
  /** How long the test VM ran, when one was booted ("unavailable": none was). */
  bootedMs?: number;
}

/** Seconds the guest kernel gets to reach its end; it needs about 2 under KVM (7 under TCG on a loaded 2-core machine). */
export const KVM_SMOKE_SECONDS = 60;

/**
 * A guest whose console says nothing for this long is not running: the booting kernel prints a line at least
 * every 0.74 s of its own time (the Debian 12 kernel's longest gap, fixtures/kvm/kvm-smoke/). Where KVM
 * starts guests but never runs them this ends the test in 20 s instead of 60, on every sparsify dry run.
 */
export const KVM_SMOKE_SILENCE_SECONDS = 20;

/**
 * The check boots a VM, which `--help` and the reports say (found by a new-user trial: a dry run that "changed
 * nothing" had started qemu-system-x86_64 for 20 s, and only README told).
 */
export const KVM_CHECK_HELP = `The checks boot a short test VM to learn whether KVM runs guests here: the newest /boot kernel under qemu-system-x86_64 -accel kvm, 128 MiB, no disk and no network, so nothing is written; it stops by itself in about 2 s where KVM works, and is stopped after ${KVM_SMOKE_SILENCE_SECONDS} s without console output or ${KVM_SMOKE_SECONDS} s in all. No option skips it.`;

/** The check as the reports name it: that a test VM ran, and for how long. */
export function kvmCheckNote(kvm: KvmSmoke): string {
  if (kvm.bootedMs === undefined) return `KVM check: no test VM booted (${kvm.detail})`;
  return `KVM check: booted a test VM (the host's kernel under qemu-system-x86_64 -accel kvm, 128 MiB, no disk or network) for ${(kvm.bootedMs / 1000).toFixed(1)} s: KVM ${kvm.result === "ok" ? "works" : "does not run guests"}`;
}

/** What the kernel prints at the known end of the smoke boot: no root disk was given, so mounting it fails. */
export const KNOWN_END = "Kernel panic - not syncing: VFS: Unable to mount root fs";

/**
 * /dev/kvm can exist and still be unusable: a nested or paravirtual KVM that rejects the host CPU model
 * (QEMU aborts with "failed to set MSR"), or one that starts a guest and never runs it to completion
 * (libguestfs's appliance then sits at 100% CPU forever). A guest that merely survives proves neither, so
 * the test boots the host's own kernel (the one libguestfs boots too) with `-cpu host`, no disk and
 * `panic=-1`: it panics at mounting root, reboots, and `-no-reboot` makes QEMU exit by itself. Only that
 * end, seen on the serial console, counts as "KVM works". Not `quiet`: the boot's messages are its sign of life.
 */
export function kvmSmokeCommand(kernel: string): string {
  const qemu = [
    "qemu-system-x86_64",
    "-accel",
    "kvm",
    "-cpu",
    "host",
    "-machine",
    "pc",
    "-m",
    "128",
    "-nodefaults",
    "-display",
    "none",
    "-nic",
    "none",
    "-no-reboot",
    "-monitor",
    "none",
    "-serial",
    "stdio",
  ];
  // --foreground: timeout otherwise moves itself and QEMU into a process group of their own, out of reach of
  // the stop (abort, the silence watchdog) that signals the command's group: QEMU then ran its full 60 s.
  return cmd(
    "timeout",
    "--foreground",
    "--kill-after=5",
    String(KVM_SMOKE_SECONDS),
    ...qemu,
    "-kernel",
    kernel,
    "-append",
    "console=ttyS0 panic=-1",
  );
}

/** The newest /boot/vmlinuz-* in `ls -1 /boot` output, or null. */
export function newestKernel(lsBoot: string): string | null {
  const kernels = lsBoot
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^vmlinuz-\d/.test(l));
  kernels.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const newest = kernels.at(-1);
  return newest ? `/boot/${newest}` : null;
}

/** Reads the smoke boot's result: the known end on the console and QEMU gone by itself, or what went wrong. */
export function judgeKernelBoot(run: ExecResult): KvmSmoke {
  const console = run.stdout
    .split("\n")
    .map((l) => l.replace(/^\[\s*[\d.]+\]\s*/, "").trim())
    .filter(Boolean);
  const reachedEnd = console.some((l) => l.startsWith(KNOWN_END));
  if (run.code === 0 && reachedEnd)
    return {
      result: "ok",
      detail: "a Linux kernel booted under KVM with -cpu host to its expected end (root mount panic, QEMU exited)",
    };
  const stderr = (run.stderr || "").trim().split("\n").filter(Boolean).slice(0, 3).join(" | ");
  if (run.silentMs !== undefined) {
    const last = console.at(-1);
    return {
      result: "failed",
      detail: `a Linux kernel under KVM (-cpu host) printed nothing for ${Math.round(run.silentMs / 1000)} s (${last ? `last console line: "${last}"` : "no console output at all"}): KVM starts guests here but does not run them`,
    };
  }
  if (run.code === 124 || run.code === 137 || run.timedOut) {
    const last = console.at(-1);
    return {
      result: "failed",
      detail: `a Linux kernel under KVM (-cpu host) did not reach its end within ${KVM_SMOKE_SECONDS} s (${last ? `last console line: "${last}"` : "no console output"}): KVM starts guests here but does not run them to completion`,
    };
  }
  if (run.code === 0)
    return {
      result: "failed",
      detail: `QEMU with -accel kvm exited without the kernel reaching its end (no "${KNOWN_END}" on the console)`,
    };
  return {
    result: "failed",
    detail: `QEMU with -accel kvm -cpu host exited ${run.code}${stderr ? `: ${stderr}` : ""}`,
  };
}

export async function kvmSmokeTest(host: Host, signal?: AbortSignal): Promise<KvmSmoke> {
  if (!(await host.stat("/dev/kvm")))
    return {
      result: "unavailable",
      detail: "/dev/kvm does not exist (kvm_intel / kvm_amd module not loaded, or no hardware virtualization)",
    };
  const qemu = await host.exec("command -v qemu-system-x86_64", { signal });
  if (qemu.code !== 0)
    return {
      result: "unavailable",
      detail: "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86)",
    };
  const kernel = newestKernel((await host.exec("ls -1 /boot", { signal })).stdout);
  if (!kernel)
    return {
      result: "unavailable",
      detail:
        "no /boot/vmlinuz-* kernel to test KVM with (libguestfs needs one too: apt-get install linux-image-amd64)",
    };
  // The host-side timeout is a backstop for a `timeout` that could not stop QEMU.
  const started = Date.now();
  const run = await host.exec(kvmSmokeCommand(kernel), {
    timeoutMs: (KVM_SMOKE_SECONDS + 30) * 1000,
    silenceTimeoutMs: KVM_SMOKE_SILENCE_SECONDS * 1000,
    signal,
  });
  return { ...judgeKernelBoot(run), bootedMs: Date.now() - started };
}
