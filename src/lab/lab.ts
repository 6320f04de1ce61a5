import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serveAptRepo } from "./apt-repo.js";
import { ensureLabImages, type LabImages, type LabLog } from "./build.js";
import { labCacheRoot } from "./cache.js";
import { LabContainer } from "./container.js";
import { knownHostsLines } from "./keys.js";
import { acquireLabLock } from "./lock.js";
import { createLabNetwork, removeLabNetwork, removeLabNetworkSync } from "./netns.js";
import { writeLabPlan } from "./plan-file.js";
import { onProcessExit, reapLeftovers, setProcessStateFile, stopAllTracked } from "./processes.js";
import { LAB_DB, LAB_NET } from "./recipe.js";
import { LabSsh } from "./ssh-client.js";
import { LabVm } from "./vm.js";
import { mountSourceRoot, unmountSourceRoot, unmountSourceRootSync } from "./source-fs.js";

export interface StartLabOptions {
  log?: LabLog;
  env?: NodeJS.ProcessEnv;
  /** openvz-to-kvm plan options over the lab's defaults. */
  planOptions?: Record<string, unknown>;
}

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
  readonly vm: LabVm;
  private closeRepo: (() => Promise<void>) | undefined;
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
    this.vm = new LabVm({
      base: images.targetBase,
      overlay: join(runDir, "vm.qcow2"),
      kernel: images.kernel,
      initrd: images.initrd,
      consoleLog: join(runDir, "vm-console.log"),
      processLog: join(runDir, "qemu.log"),
      qmpSocket: join(runDir, "qmp.sock"),
    });
    // if the process dies without stop(): kill by PID (processes.ts) and remove the namespace
    this.forgetExitCleanup = onProcessExit(() => {
      removeLabNetworkSync();
      unmountSourceRootSync(join(runDir, "source-root"));
      this.releaseLock();
    });
  }

  static async start(options: StartLabOptions = {}): Promise<Lab> {
    const log = options.log ?? defaultLog;
    const env = options.env ?? process.env;
    const images = await ensureLabImages(log, env);
    const root = labCacheRoot(env);
    const release = acquireLabLock(join(root, "lab.lock"));
    const pidFile = join(root, "lab.pids");
    const reaped = await reapLeftovers(pidFile);
    if (reaped.length > 0) log(`stopped leftovers of an earlier lab run: ${reaped.join(", ")}`);
    setProcessStateFile(pidFile);
    await removeStaleRuns(join(root, "runs"));
    await mkdir(join(root, "runs"), { recursive: true });
    const runDir = await mkdtemp(join(root, "runs", `run-${process.pid}-`));
    const lab = new Lab(images, runDir, log, release);
    try {
      await writeFile(
        join(runDir, "known_hosts.after"),
        knownHostsLines("127.0.0.1", LAB_NET.vmSshPortLoopback, images.sourceHostKeys).join("\n") + "\n",
      );
      await lab.writePlan(lab.planPath, options.planOptions);
      await createLabNetwork();
      const repo = await serveAptRepo(images.repoDir, LAB_NET.hostAddress, LAB_NET.repoPort);
      lab.closeRepo = repo.close;
      await lab.boot();
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
      sourceHostKeys: this.images.sourceHostKeys,
      targetHostKeys: this.images.targetHostKeys,
      options: planOptions,
      name,
      checkpoints,
    });
    return path;
  }

  /** Fresh hosts: a new copy of the source tree and a new VM overlay, both booted and answering SSH. */
  async boot(): Promise<void> {
    const started = Date.now();
    const root = join(this.runDir, "source-root");
    await rm(join(this.runDir, "vm.qcow2"), { force: true });
    await mountSourceRoot(root, this.images.sourceTree);
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
    await this.target.waitFor("true", 300_000, "the target VM", () => this.vm.running);
    this.log(
      `lab up in ${Math.round((Date.now() - started) / 1000)} s: source ${LAB_NET.sourceAddress} (container), target 127.0.0.1:${LAB_NET.vmSshPortLoopback} (VM)`,
    );
  }

  /** Stops both hosts and boots fresh copies (between tests). */
  async reset(): Promise<void> {
    await Promise.all([this.container.stop(), this.vm.stop()]);
    await this.boot();
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
