import { readFileSync } from "node:fs";
import { LAB_NET } from "./recipe.js";
import { netnsPath } from "./netns.js";
import { killOnHardExit, startTracked, stopTracked, type TrackedProcess } from "./processes.js";
import { sleep } from "./local.js";

/** systemd-nspawn's exit code when the container's init asked for a reboot. */
const NSPAWN_REBOOT = 133;

/**
 * The OpenVZ-like source: the tree's own systemd booted by systemd-nspawn in the lab's network namespace.
 * Like vzctl, the lab restarts the container when it reboots itself (nspawn exits 133), so a migration
 * step that reboots the source sees it come back.
 */
export class LabContainer {
  private proc: TrackedProcess | undefined;
  private stopping = false;
  private forgetInit: (() => void) | undefined;
  /** How many times the container rebooted itself and was started again. */
  reboots = 0;
  /** Set when the container ended on its own (not a reboot, not our stop). */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    private readonly root: string,
    private readonly logFile: string,
  ) {}

  start(): void {
    this.stopping = false;
    const proc = startTracked(
      "container (systemd-nspawn)",
      [
        "systemd-nspawn",
        "--boot",
        `--directory=${this.root}`,
        `--machine=${LAB_NET.containerHostname.split(".")[0]!}`,
        "--register=no",
        "--keep-unit",
        "--console=passive",
        // leave the tree's own resolv.conf, localtime and journal alone (the copy must see the container's files)
        "--resolv-conf=off",
        "--timezone=off",
        "--link-journal=no",
        `--network-namespace-path=${netnsPath}`,
        // ifupdown inside configures venet0 from the vzctl-style interfaces file
        "--capability=CAP_NET_ADMIN",
      ],
      this.logFile,
    );
    this.proc = proc;
    void this.watchInit(proc);
    void proc.exited.then((exit) => {
      this.forgetInit?.();
      if (this.proc !== proc || this.stopping) return;
      if (exit.code === NSPAWN_REBOOT) {
        this.reboots++;
        this.start();
      } else {
        this.lastExit = exit;
        this.proc = undefined;
      }
    });
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Clean shutdown (nspawn turns SIGTERM into a poweroff of the container), SIGKILL after graceMs. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    const proc = this.proc;
    this.proc = undefined;
    if (proc) await stopTracked(proc, graceMs);
    this.forgetInit?.();
  }

  /**
   * nspawn's child is the container's PID 1; if this process dies hard, killing nspawn alone would
   * leave the container running, so PID 1 is registered to be SIGKILLed too (that ends its namespace).
   */
  private async watchInit(proc: TrackedProcess): Promise<void> {
    for (let i = 0; i < 50 && this.proc === proc; i++) {
      await sleep(200);
      const init = childPid(proc.pid);
      if (init !== undefined) {
        this.forgetInit = killOnHardExit(init, "container init");
        return;
      }
    }
  }
}

function childPid(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}
