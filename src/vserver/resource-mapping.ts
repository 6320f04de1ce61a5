import type { VserverConfig } from "./config.js";

/**
 * VServer resource limits -> vzctl (VSwap) settings, as pure functions. Units: util-vserver's rss and as
 * limits count pages (Linux-VServer wiki, "Memory Limits"); vzctl's PHYSPAGES/SWAPPAGES count pages too
 * (vzctl(8)), so values carry over as numbers on machines with the same page size (4 KiB on x86).
 * rss.soft is the RAM a guest may use, rss.hard its RAM plus swap; `rss` alone sets both; "inf" is no limit.
 */
type Limit = number | "unlimited";

function parseLimit(value: string | undefined): Limit | undefined {
  if (value === undefined) return undefined;
  if (value === "inf") return "unlimited";
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

export interface MemorySettings {
  PHYSPAGES?: string;
  SWAPPAGES?: string;
}

export function memoryFromRss(rlimits: Record<string, string>): MemorySettings {
  const ram = parseLimit(rlimits["rss.soft"] ?? rlimits.rss ?? rlimits["rss.hard"]);
  const total = parseLimit(rlimits["rss.hard"] ?? rlimits.rss);
  if (ram === undefined) return {};
  const out: MemorySettings = { PHYSPAGES: `0:${ram}` };
  if (total === "unlimited" && ram !== "unlimited") out.SWAPPAGES = "0:unlimited";
  else if (typeof total === "number" && typeof ram === "number") out.SWAPPAGES = `0:${Math.max(0, total - ram)}`;
  return out;
}

/** CPUs in a cpuset list such as "0-1,4" (kernel cpuset format). */
export function cpuCount(list: string): number | undefined {
  let n = 0;
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n;
}

/** The share of one CPU the bucket refills: fill-rate tokens every `interval` ticks, one token a tick of running. */
export function cpuShare(sched: Record<string, string>): number | undefined {
  const fill = Number(sched["fill-rate"]);
  const interval = Number(sched.interval);
  return /^\d+$/.test(sched["fill-rate"] ?? "") && /^\d+$/.test(sched.interval ?? "") && interval > 0
    ? fill / interval
    : undefined;
}

/**
 * CPULIMIT (per cent, 100 a CPU) when the guest ran with sched_hard: every CPU inherits the global bucket,
 * so the cap is the share times the CPUs the guest could use, known only from its cpuset.
 */
export function cpuLimitFromSched(config: VserverConfig): string | undefined {
  const share = cpuShare(config.sched);
  if (share === undefined || !config.flags.includes("sched_hard") || !config.cpusetCpus) return undefined;
  const cpus = cpuCount(config.cpusetCpus);
  return cpus === undefined ? undefined : String(Math.round(share * 100 * cpus));
}

const MEMORY_KEYS = new Set(["rss", "rss.soft", "rss.hard"]);
const NPROC_KEYS = /^nproc(\.hard|\.soft|\.min)?$/;
/** The vzctl parameter nearest to each VServer rlimit left unmapped (vzctl(8), UBC parameters). */
const NEAREST: Record<string, string> = {
  as: "--privvmpages (private memory allocated, not the address space)",
  memlock: "--lockedpages",
  nofile: "--numfile",
  openfd: "--numfile",
  nsock: "--numothersock / --numtcpsock",
  shmem: "--shmpages",
  locks: "--numflock",
};

/** Every resource setting not carried over, with its exact value and what to set instead (on container `ctid`). */
export function unmappedResourceNotes(config: VserverConfig, ctid: number | "CTID" = "CTID"): string[] {
  const notes: string[] = [];
  const rest = Object.entries(config.rlimits).filter(([k]) => !MEMORY_KEYS.has(k) && !NPROC_KEYS.test(k));
  for (const [file, value] of rest) {
    const resource = file.replace(/\.(hard|soft|min)$/, "");
    const nearest = NEAREST[resource];
    notes.push(
      `rlimits/${file} = ${value}: not carried over${nearest ? `; the nearest vzctl setting is ${nearest} (vzctl set ${ctid} ... --save)` : ""}`,
    );
  }
  if (config.rlimits["rss.min"] !== undefined)
    notes.push(
      `rlimits/rss.min = ${config.rlimits["rss.min"]} pages (guaranteed RAM): VSwap has no guarantee (PHYSPAGES' barrier stays 0)`,
    );
  const share = cpuShare(config.sched);
  const where = config.schedSource === "schedule" ? "schedule (deprecated file)" : "sched";
  if (share !== undefined && cpuLimitFromSched(config) === undefined) {
    const perCpu = Math.round(share * 100);
    notes.push(
      config.flags.includes("sched_hard")
        ? `${where}: fill-rate ${config.sched["fill-rate"]} / interval ${config.sched.interval} with sched_hard capped the guest at ${perCpu}% of each CPU, and no cpuset says how many: set CPULIMIT to ${perCpu}% times the CPUs it should have (vzctl set ${ctid} --cpulimit N --save)`
        : `${where}: fill-rate ${config.sched["fill-rate"]} / interval ${config.sched.interval} without sched_hard only lowered the guest's priority past ${perCpu}% of a CPU; vzctl's CPUUNITS is a weight relative to the other containers and stays the sample's`,
    );
  }
  const other = Object.entries(config.sched).filter(([k]) => k !== "fill-rate" && k !== "interval");
  if (other.length > 0)
    notes.push(
      `${where}: ${other.map(([k, v]) => (v === "" ? k : `${k}=${v}`)).join(", ")}: token-bucket details with no vzctl counterpart`,
    );
  if (config.schedPerCpu.length > 0)
    notes.push(`sched/${config.schedPerCpu.join(", sched/")}: per-CPU scheduler settings are not carried over`);
  return notes;
}
