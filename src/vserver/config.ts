import { posix } from "node:path";
import { readOptional, type Host } from "../hosts/host.js";
import { resolvePath } from "../hosts/resolve-path.js";
import { listEntries } from "./paths.js";

/**
 * One Linux-VServer guest's configuration as util-vserver keeps it: one value per file under
 * /etc/vservers/NAME/ (layout: util-vserver doc/configuration.xml, "The /etc/vservers directory").
 */
export interface VserverInterface {
  /** Directory name under interfaces/ (processed in name order: 0, 1, ... or 00, 01, ...). */
  id: string;
  ip: string;
  prefix?: number;
  mask?: string;
  dev?: string;
  /** interfaces/N/disabled exists: util-vserver skips this address. */
  disabled: boolean;
  /** interfaces/N/nodev exists: the address is not put on a host device (already there). */
  nodev: boolean;
}

export interface VserverDiskLimit {
  id: string;
  directory?: string;
  /** In 1K blocks, as util-vserver's dlimits/N/space_total. */
  spaceTotalKb?: number;
  inodesTotal?: number;
  /** Percent reserved for root. */
  reserved?: number;
}

export interface VserverConfig {
  name: string;
  confDir: string;
  /** The guest root on the host, with every symlink resolved (usually /vservers/NAME). */
  vdir: string;
  /** Static context id (xid), 2..49151 when set. */
  context?: number;
  nodename?: string;
  domainname?: string;
  interfaces: VserverInterface[];
  /** apps/init/mark: the group the host's initscript starts at boot ("default"); absent = not started. */
  mark?: string;
  initStyle?: string;
  /** The host-side fstab util-vserver mounts into the guest at start. */
  fstab?: string;
  dlimits: VserverDiskLimit[];
  /** rlimits/<res>[.hard|.soft|.min] file name -> value. */
  rlimits: Record<string, string>;
  cpusetCpus?: string;
  /**
   * Token-bucket scheduler settings, name -> value (fill-rate, interval, tokens-max, ...; idle-time is ""):
   * sched/<file>, or the deprecated `schedule` file's lines when there is no sched/ (as vserver.functions reads them).
   */
  sched: Record<string, string>;
  schedSource?: "sched" | "schedule";
  /** sched/<dir>: per-CPU or per-bucket settings (util-vserver 0.30.212+). */
  schedPerCpu: string[];
  bcapabilities: string[];
  ccapabilities: string[];
  flags: string[];
}

/** The deprecated `schedule` file holds these, one a line (util-vserver scripts/vserver.functions). */
const SCHEDULE_LINES = ["fill-rate", "interval", "tokens", "tokens-min", "tokens-max", "priority-bias"];

export class VserverConfigError extends Error {
  override name = "VserverConfigError";
}

export async function readVserverConfig(host: Host, confRoot: string, guest: string): Promise<VserverConfig> {
  const confDir = posix.join(confRoot, guest);
  const dirStat = await host.stat(confDir);
  if (dirStat === null)
    throw new VserverConfigError(`${confDir} does not exist on ${host.address}: no VServer guest called "${guest}"`);
  const scalar = async (rel: string): Promise<string | undefined> => {
    const text = await readOptional(host, posix.join(confDir, rel));
    const first = text?.split("\n")[0]?.trim();
    return first ? first : undefined;
  };
  const list = async (rel: string): Promise<string[]> =>
    ((await readOptional(host, posix.join(confDir, rel))) ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
  const exists = async (rel: string): Promise<boolean> => (await host.stat(posix.join(confDir, rel))) !== null;
  const int = (value: string | undefined, what: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value))
      throw new VserverConfigError(`${posix.join(confDir, what)}: expected a number, found "${value}"`);
    return Number(value);
  };

  // vdir is a link; when it is missing util-vserver falls back to .defaults/vdirbase/NAME.
  const vdirLink = (await exists("vdir"))
    ? posix.join(confDir, "vdir")
    : posix.join(confRoot, ".defaults", "vdirbase", guest);
  const vdir = await resolvePath(host, vdirLink);
  if ((await host.stat(vdir))?.type !== "dir")
    throw new VserverConfigError(`the guest root ${vdir} (from ${vdirLink}) is not a directory on ${host.address}`);

  const defaultPrefix = await scalar("interfaces/prefix");
  const defaultDev = await scalar("interfaces/dev");
  const interfaces: VserverInterface[] = [];
  for (const id of await listEntries(host, posix.join(confDir, "interfaces"), "d")) {
    const ip = await scalar(`interfaces/${id}/ip`);
    if (!ip) continue; // util-vserver ignores an interface directory without an address
    interfaces.push({
      id,
      ip,
      prefix: int((await scalar(`interfaces/${id}/prefix`)) ?? defaultPrefix, `interfaces/${id}/prefix`),
      mask: await scalar(`interfaces/${id}/mask`),
      dev: (await scalar(`interfaces/${id}/dev`)) ?? defaultDev,
      disabled: await exists(`interfaces/${id}/disabled`),
      nodev: await exists(`interfaces/${id}/nodev`),
    });
  }

  const dlimits: VserverDiskLimit[] = [];
  for (const id of await listEntries(host, posix.join(confDir, "dlimits"), "d")) {
    dlimits.push({
      id,
      directory: await scalar(`dlimits/${id}/directory`),
      spaceTotalKb: int(await scalar(`dlimits/${id}/space_total`), `dlimits/${id}/space_total`),
      inodesTotal: int(await scalar(`dlimits/${id}/inodes_total`), `dlimits/${id}/inodes_total`),
      reserved: int(await scalar(`dlimits/${id}/reserved`), `dlimits/${id}/reserved`),
    });
  }

  const rlimits: Record<string, string> = {};
  for (const file of await listEntries(host, posix.join(confDir, "rlimits"), "f")) {
    const value = await scalar(`rlimits/${file}`);
    if (value !== undefined) rlimits[file] = value;
  }

  const sched: Record<string, string> = {};
  let schedSource: VserverConfig["schedSource"];
  const schedPerCpu = await listEntries(host, posix.join(confDir, "sched"), "d");
  if ((await host.stat(posix.join(confDir, "sched")))?.type === "dir") {
    schedSource = "sched";
    for (const file of await listEntries(host, posix.join(confDir, "sched"), "f"))
      sched[file] = (await scalar(`sched/${file}`)) ?? "";
  } else {
    const schedule = await readOptional(host, posix.join(confDir, "schedule"));
    if (schedule !== null) {
      schedSource = "schedule";
      schedule
        .split("\n")
        .slice(0, SCHEDULE_LINES.length)
        .forEach((line, i) => {
          if (line.trim() !== "") sched[SCHEDULE_LINES[i]!] = line.trim();
        });
    }
  }

  const context = int(await scalar("context"), "context");
  if (context !== undefined && (context < 2 || context > 49151))
    throw new VserverConfigError(`${confDir}/context: ${context} is outside the static range 2..49151`);

  return {
    name: (await scalar("name")) ?? guest,
    confDir,
    vdir,
    context,
    nodename: await scalar("uts/nodename"),
    domainname: await scalar("uts/domainname"),
    interfaces,
    mark: await scalar("apps/init/mark"),
    initStyle: await scalar("apps/init/style"),
    fstab: (await readOptional(host, posix.join(confDir, "fstab"))) ?? undefined,
    dlimits,
    rlimits,
    cpusetCpus: await scalar("cpuset/cpus"),
    sched,
    schedSource,
    schedPerCpu,
    bcapabilities: await list("bcapabilities"),
    ccapabilities: await list("ccapabilities"),
    flags: await list("flags"),
  };
}

/** The addresses the guest really uses: enabled interfaces, in util-vserver's processing order. */
export function activeAddresses(config: VserverConfig): string[] {
  return config.interfaces.filter((i) => !i.disabled).map((i) => i.ip);
}
