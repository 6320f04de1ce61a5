import { LAB_NET } from "./recipe.js";
import { runLocal } from "./local.js";
import { startTracked, stopTracked, type TrackedProcess } from "./processes.js";
import { VM_KERNEL_CMDLINE } from "./target-tree.js";

export interface VmFiles {
  base: string;
  overlay: string;
  kernel: string;
  initrd: string;
  consoleLog: string;
  processLog: string;
  /** QEMU's QMP socket: checkpoints (snapshot-save/-load) of the VM go through it. */
  qmpSocket: string;
  /** The NIC on a tap (the DHCP variant: command prefix, -netdev and -device); QEMU's user network when absent. */
  tap?: { prefix: string[]; netdev: string; device: string };
}

/**
 * The KVM-style target under QEMU TCG (KVM hangs on these machines). The disk is a per-run overlay on the
 * cached base, so every run starts from a pristine VM. Without -no-reboot a guest reboot restarts the
 * guest inside the same QEMU process, which keeps running until the lab stops it.
 */
export class LabVm {
  private proc: TrackedProcess | undefined;
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(private readonly files: VmFiles) {}

  async createOverlay(): Promise<void> {
    await runLocal([
      "qemu-img",
      "create",
      "-q",
      "-f",
      "qcow2",
      "-F",
      "qcow2",
      "-b",
      this.files.base,
      this.files.overlay,
    ]);
  }

  start(): void {
    const user = [
      "user",
      "id=n0",
      `net=${LAB_NET.vmNet}`,
      `host=${LAB_NET.vmGateway}`,
      `dns=${LAB_NET.vmDns}`,
      `hostfwd=tcp:127.0.0.1:${LAB_NET.vmSshPortLoopback}-:22`,
      `hostfwd=tcp:${LAB_NET.hostAddress}:${LAB_NET.vmSshPortVeth}-:22`,
    ].join(",");
    const tap = this.files.tap;
    const proc = startTracked(
      "vm (qemu-system-x86_64)",
      [
        ...(tap?.prefix ?? []),
        "qemu-system-x86_64",
        "-accel",
        "tcg",
        "-cpu",
        "max",
        "-smp",
        "2",
        "-m",
        "1536",
        "-nodefaults",
        "-display",
        "none",
        "-serial",
        `file:${this.files.consoleLog}`,
        "-kernel",
        this.files.kernel,
        "-initrd",
        this.files.initrd,
        "-append",
        VM_KERNEL_CMDLINE,
        "-drive",
        `file=${this.files.overlay},if=virtio,format=qcow2,cache=unsafe,discard=unmap`,
        "-netdev",
        tap?.netdev ?? user,
        "-device",
        tap?.device ?? "virtio-net-pci,netdev=n0,addr=0x3",
        "-device",
        "virtio-rng-pci",
        "-qmp",
        `unix:${this.files.qmpSocket},server=on,wait=off`,
      ],
      this.files.processLog,
      { wrapperWords: tap?.prefix.length ?? 0 },
    );
    this.proc = proc;
    void proc.exited.then((exit) => {
      if (this.proc === proc) {
        this.proc = undefined;
        this.lastExit = exit;
      }
    });
  }

  get qmpSocket(): string {
    return this.files.qmpSocket;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** QEMU quits at once on SIGTERM (the guest is not shut down: the overlay is thrown away anyway). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc) await stopTracked(proc, 5000);
  }

  /** Hard power-off of the VM, as a test's way to make a migration step fail. */
  kill(): void {
    if (this.proc) process.kill(this.proc.pid, "SIGKILL");
  }
}
