import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serveAptRepo } from "./apt-repo.js";
import { ensureLabImages, type LabImages, type LabLog } from "./build.js";
import { ensureMinimalImages, type HostImages } from "./build-minimal.js";
import {
  createDhcpNetwork,
  dhcpVmNetdev,
  removeDhcpNetwork,
  removeDhcpNetworkSync,
  startDnsmasq,
  stopDnsmasq,
} from "./dhcp-net.js";
import { forwardTcp } from "./tcp-forward.js";
import type { TrackedProcess } from "./processes.js";
import { labCacheRoot } from "./cache.js";
import { LabContainer } from "./container.js";
import { knownHostsLines } from "./keys.js";
import { acquireLabLock, LAB_LOCK_PATH } from "./lock.js";
import { createLabNetwork, removeLabNetwork, removeLabNetworkSync } from "./netns.js";
import { writeLabKnownHosts, writeLabPlan } from "./plan-file.js";
import { onProcessExit, reapLeftovers, setProcessStateFile, stopAllTracked } from "./processes.js";
import { LAB_DB, LAB_NET, NEWER_KERNEL } from "./recipe.js";
import { repoWithout } from "./repo-view.js";
import { LabSsh } from "./ssh-client.js";
import { LabVm } from "./vm.js";
import { labUpLine } from "./up-line.js";
import { mountSourceRoot, unmountSourceRoot, unmountSourceRootSync } from "./source-fs.js";

export interface StartLabOptions {
  log?: LabLog;
  env?: NodeJS.ProcessEnv;
  /** openvz-to-kvm plan options over the lab's defaults. */
  planOptions?: Record<string, unknown>;
  /** The hosts of the first boot (default "kind"); reset() may boot the other. */
  variant?: LabVariant;
}

/**
 * "kind": the container and VM of the main build (static VM address on QEMU's user network).
 * "minimal": a minbase container and a VM on DHCP from dnsmasq (issue 12), built beside the main build.
 */
export type LabVariant = "kind" | "minimal";

const defaultLog: LabLog = (line) => process.stderr.write(`[lab] ${line}\n`);

/**
 * A running lab: the OpenVZ-like container (source) in its network namespace, the QEMU VM (target), the
 * package repository, and a plan file that migrates one into the other. `stop()` ends all of it.
 */
export class Lab {
  readonly source: LabSsh;
  /** The VM as the tool first knows it (its own host keys). */
  readonly target: LabSsh;
  /** The VM, accepted only if it presents the source's host keys (true after the copy). */
  readonly targetWithSourceKeys: LabSsh;
  readonly planPath: string;
  readonly stateDir: string;
  readonly container: LabContainer;
  vm: LabVm;
  /** The variant the hosts were last booted as. */
  variant: LabVariant = "kind";
  /** The minimal variant's images, when the lab was started or reset with it. */
  minimal: HostImages | undefined;
  private closeRepo: (() => Promise<void>) | undefined;
  private servedRepo: string | undefined;
  private dnsmasq: TrackedProcess | undefined;
  private forwards: Array<{ close: () => Promise<void> }> = [];
  private releaseLock: () => void;
  private forgetExitCleanup: () => void;
  private stopped = false;

  private constructor(
    readonly images: LabImages,
    readonly runDir: string,
    private readonly log: LabLog,
    releaseLock: () => void,
  ) {
    this.releaseLock = releaseLock;
    const knownHosts = join(runDir, "known_hosts");
    this.planPath = join(runDir, "plan.yaml");
    this.stateDir = join(runDir, "state");
    this.source = new LabSsh(LAB_NET.sourceAddress, 22, images.toolKey, knownHosts);
    this.target = new LabSsh("127.0.0.1", LAB_NET.vmSshPortLoopback, images.toolKey, knownHosts);
    this.targetWithSourceKeys = new LabSsh(
      "127.0.0.1",
      LAB_NET.vmSshPortLoopback,
      images.toolKey,
      join(runDir, "known_hosts.after"),
    );
    this.container = new LabContainer(join(runDir, "source-root"), join(runDir, "container.log"));
    this.vm = this.makeVm(images, "kind");
    // if the process dies without stop(): kill by PID (processes.ts) and remove the namespace
    this.forgetExitCleanup = onProcessExit(() => {
      removeLabNetworkSync();
      removeDhcpNetworkSync();
      unmountSourceRootSync(join(runDir, "source-root"));
      this.releaseLock();
    });
  }

  static async start(options: StartLabOptions = {}): Promise<Lab> {
    const log = options.log ?? defaultLog;
    const env = options.env ?? process.env;
    const images = await ensureLabImages(log, env);
    const root = labCacheRoot(env);
    const release = acquireLabLock(LAB_LOCK_PATH);
    const pidFile = join(root, "lab.pids");
    const reaped = await reapLeftovers(pidFile);
    if (reaped.length > 0) log(`stopped leftovers of an earlier lab run: ${reaped.join(", ")}`);
    setProcessStateFile(pidFile);
    await removeStaleRuns(join(root, "runs"));
    await mkdir(join(root, "runs"), { recursive: true });
    const runDir = await mkdtemp(join(root, "runs", `run-${process.pid}-`));
    const lab = new Lab(images, runDir, log, release);
    try {
      if (options.variant === "minimal") lab.minimal = await ensureMinimalImages(images, log, env);
      await writeFile(
        join(runDir, "known_hosts.after"),
        knownHostsLines("127.0.0.1", LAB_NET.vmSshPortLoopback, images.sourceHostKeys).join("\n") + "\n",
      );
      await lab.writePlan(lab.planPath, options.planOptions);
      await createLabNetwork();
      await lab.boot(options.variant ?? "kind");
      return lab;
    } catch (error) {
      await lab.stop();
      throw error;
    }
  }

  /** Writes a plan for this lab (the default one is at planPath); options go over the lab's defaults. */
  async writePlan(
    path: string,
    planOptions?: Record<string, unknown>,
    name?: string,
    checkpoints?: Record<string, unknown>,
  ): Promise<string> {
    await writeLabPlan({
      planPath: path,
      knownHostsFile: join(this.runDir, "known_hosts"),
      identityFile: this.images.toolKey,
      sourceHostKeys: this.hostImages(this.variant).sourceHostKeys,
      targetHostKeys: this.hostImages(this.variant).targetHostKeys,
      options: planOptions,
      name,
      checkpoints,
    });
    return path;
  }

  private hostImages(variant: LabVariant): HostImages {
    if (variant === "kind") return this.images;
    if (!this.minimal) throw new Error("the minimal variant's images were not built (Lab.start({ variant }))");
    return this.minimal;
  }

  private makeVm(images: HostImages, variant: LabVariant): LabVm {
    return new LabVm({
      base: images.targetBase,
      overlay: join(this.runDir, "vm.qcow2"),
      kernel: images.kernel,
      initrd: images.initrd,
      consoleLog: join(this.runDir, "vm-console.log"),
      processLog: join(this.runDir, "qemu.log"),
      qmpSocket: join(this.runDir, "qmp.sock"),
      ...(variant === "minimal" ? { tap: dhcpVmNetdev } : {}),
    });
  }

  /** dnsmasq's lease file of the minimal variant's VM (one line per lease: expiry, MAC, address, name). */
  get dhcpLeaseFile(): string {
    return join(this.runDir, "dnsmasq.leases");
  }

  private async serveRepo(dir: string): Promise<void> {
    if (this.servedRepo === dir) return;
    await this.closeRepo?.();
    this.closeRepo = undefined;
    const repo = await serveAptRepo(dir, LAB_NET.hostAddress, LAB_NET.repoPort);
    this.closeRepo = repo.close;
    this.servedRepo = dir;
  }

  /**
   * The repository of the variant, the VM's network of the variant (QEMU's user network or DHCP). The
   * minimal variant's repository does not offer its newer kernel until publishKernelUpdate(): the update
   * comes after the migration, or the pre-update step would install it on the VM before the copy.
   */
  private async setUpNetwork(variant: LabVariant): Promise<void> {
    const images = this.hostImages(variant);
    if (variant === "minimal") {
      const view = join(this.runDir, "repo-before-kernel-update");
      await rm(view, { recursive: true, force: true });
      await repoWithout(images.repoDir, view, [
        { name: NEWER_KERNEL.metapackage, version: NEWER_KERNEL.version },
        { name: NEWER_KERNEL.image, version: NEWER_KERNEL.version },
      ]);
      await this.serveRepo(view);
    } else await this.serveRepo(images.repoDir);
    if (variant !== "minimal") return;
    await createDhcpNetwork();
    await rm(this.dhcpLeaseFile, { force: true });
    this.dnsmasq = startDnsmasq(this.dhcpLeaseFile, join(this.runDir, "dnsmasq.log"));
    // the same SSH ports as QEMU's hostfwd gives the kind VM: for the tool, and for the container's push
    this.forwards = [
      await forwardTcp("127.0.0.1", LAB_NET.vmSshPortLoopback, LAB_NET.vmAddress, 22),
      await forwardTcp(LAB_NET.hostAddress, LAB_NET.vmSshPortVeth, LAB_NET.vmAddress, 22),
    ];
  }

  /** The lab repository publishes the minimal variant's newer kernel (NEWER_KERNEL): next `apt-get update` sees it. */
  async publishKernelUpdate(): Promise<void> {
    await this.serveRepo(this.hostImages("minimal").repoDir);
  }

  private async tearDownVmNetwork(): Promise<void> {
    await Promise.allSettled(this.forwards.map((f) => f.close()));
    this.forwards = [];
    await stopDnsmasq(this.dnsmasq);
    this.dnsmasq = undefined;
    await removeDhcpNetwork();
  }

  /** Fresh hosts: a new copy of the source tree and a new VM overlay, both booted and answering SSH. */
  async boot(variant: LabVariant = "kind"): Promise<void> {
    const started = Date.now();
    const images = this.hostImages(variant);
    this.variant = variant;
    const root = join(this.runDir, "source-root");
    await writeLabKnownHosts(join(this.runDir, "known_hosts"), images.sourceHostKeys, images.targetHostKeys);
    await this.setUpNetwork(variant);
    await rm(join(this.runDir, "vm.qcow2"), { force: true });
    await mountSourceRoot(root, images.sourceTree);
    this.vm = this.makeVm(images, variant);
    await this.vm.createOverlay();
    this.vm.start();
    this.container.start();
    await this.source.waitFor(
      "systemctl is-active ssh mariadb",
      180_000,
      "the source container",
      () => this.container.running,
    );
    await this.seedDatabase();
    // On DHCP, sshd waits for networking.service, which waits for the lease: under TCG on a loaded machine the
    // first boot of the minimal variant's VM took over 300 s (its lease came at 295 s). A hang detector, not a budget.
    await this.target.waitFor(
      "true",
      variant === "minimal" ? 900_000 : 300_000,
      "the target VM",
      () => this.vm.running,
    );
    this.log(labUpLine(variant, Math.round((Date.now() - started) / 1000)));
  }

  /** Stops both hosts and boots fresh copies (between tests), of the kind variant unless told otherwise. */
  async reset(variant: LabVariant = "kind"): Promise<void> {
    await Promise.all([this.container.stop(), this.vm.stop()]);
    await this.tearDownVmNetwork();
    await this.boot(variant);
  }

  async bootId(host: LabSsh): Promise<string> {
    return (await host.run("cat /proc/sys/kernel/random/boot_id")).trim();
  }

  private async seedDatabase(): Promise<void> {
    const { database, table, seedRows } = LAB_DB;
    const sql = [
      `CREATE DATABASE IF NOT EXISTS ${database}`,
      `CREATE TABLE IF NOT EXISTS ${database}.${table} (id INT PRIMARY KEY, note VARCHAR(64) NOT NULL, at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB`,
      `INSERT IGNORE INTO ${database}.${table} (id, note) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${seedRows}) SELECT n, 'seed' FROM s`,
    ].join(";\n");
    await this.source.run("mariadb --batch", { input: sql + ";\n" });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled([this.container.stop(), this.vm.stop()]);
    await this.tearDownVmNetwork().catch((error: unknown) =>
      this.log(`could not remove the VM's network: ${String(error)}`),
    );
    await stopAllTracked();
    await this.closeRepo?.().catch(() => undefined);
    await removeLabNetwork();
    await unmountSourceRoot(join(this.runDir, "source-root")).catch((error: unknown) =>
      this.log(`could not unmount the source root: ${String(error)}`),
    );
    if (process.env.MUDANZA_LAB_KEEP !== "1") await rm(this.runDir, { recursive: true, force: true });
    else this.log(`kept the run directory ${this.runDir} (MUDANZA_LAB_KEEP=1)`);
    this.forgetExitCleanup();
    this.releaseLock();
  }
}

/** Run directories of earlier runs whose process is gone (killed before it could clean up). */
async function removeStaleRuns(runsDir: string): Promise<void> {
  if (!existsSync(runsDir)) return;
  for (const name of await readdir(runsDir)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && existsSync(`/proc/${pid}`)) continue;
    if (pid === process.pid) continue;
    await unmountSourceRoot(join(runsDir, name, "source-root"));
    await rm(join(runsDir, name), { recursive: true, force: true });
  }
}
