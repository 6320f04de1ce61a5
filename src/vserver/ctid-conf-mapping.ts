import { posix } from "node:path";
import type { VserverConfig } from "./config.js";
import { activeAddresses } from "./config.js";
import { cpuLimitFromSched, memoryFromRss, unmappedResourceNotes } from "./resource-mapping.js";

/**
 * How each VServer setting becomes an OpenVZ container setting, as data: the report prints this table
 * and the tests check every row. A row whose `value` returns undefined leaves the sample's value.
 * Sources: util-vserver doc/configuration.xml (left side), vzctl's ve-*.conf-sample and vzctl(8) (right).
 */
export interface MappingInput {
  config: VserverConfig;
  ctid: number;
  osTemplate?: string;
  /** nameserver / search lines of the guest's /etc/resolv.conf. */
  nameservers: string[];
  searchDomains: string[];
  /** vzctl's default sample name from /etc/vz/vz.conf CONFIGFILE (recorded as ORIGIN_SAMPLE). */
  originSample?: string;
  /** The node's vz.conf VE_PRIVATE / VE_ROOT, $VEID unexpanded: what `vzctl create` writes into CTID.conf. */
  privateTemplate: string;
  rootTemplate: string;
}

export interface MappingRow {
  key: string;
  from: string;
  why: string;
  value(input: MappingInput): string | undefined;
}

/** Disk limits apply to the guest root only when their directory is the vdir. */
const rootLimit = (input: MappingInput) =>
  input.config.dlimits.find((d) => !d.directory || d.directory === input.config.vdir || d.directory === "/");

/** vzctl's samples give the hard limit 10% over the soft one (1048576:1153024); same here. */
const softHard = (soft: number): string => `${soft}:${Math.ceil(soft * 1.1)}`;

const rlimit = (config: VserverConfig, name: string): string | undefined =>
  config.rlimits[`${name}.hard`] ?? config.rlimits[name];

export const CTID_CONF_MAPPING: MappingRow[] = [
  {
    key: "VE_ROOT",
    from: "the node's vz.conf VE_ROOT",
    why: "where vzctl mounts the container's root while it runs (vzctl create copies vz.conf's template, $VEID kept)",
    value: (i) => i.rootTemplate,
  },
  {
    key: "VE_PRIVATE",
    from: "vdir (/vservers/NAME) -> the node's vz.conf VE_PRIVATE",
    why: "the guest's files are copied where vzctl looks for them ($VEID expanded by vzctl)",
    value: (i) => i.privateTemplate,
  },
  {
    key: "OSTEMPLATE",
    from: "guest release files",
    why: "vzctl picks the distribution scripts (network, hostname, DNS) from its name",
    value: (i) => i.osTemplate,
  },
  {
    key: "ORIGIN_SAMPLE",
    from: "/etc/vz/vz.conf CONFIGFILE on the node",
    why: "the sample the resource limits start from, as vzctl create records it",
    value: (i) => i.originSample,
  },
  {
    key: "HOSTNAME",
    from: "uts/nodename",
    why: "vzctl sets the container's hostname at start",
    value: (i) => i.config.nodename,
  },
  {
    key: "IP_ADDRESS",
    from: "interfaces/*/ip (not disabled)",
    why: "venet addresses; vzctl routes them to the container and writes the guest's network config",
    value: (i) => activeAddresses(i.config).join(" ") || undefined,
  },
  {
    key: "NAMESERVER",
    from: "guest /etc/resolv.conf nameserver",
    why: "vzctl rewrites resolv.conf at start; keep the servers the guest used",
    value: (i) => i.nameservers.join(" ") || undefined,
  },
  {
    key: "SEARCHDOMAIN",
    from: "guest /etc/resolv.conf search",
    why: "same as NAMESERVER for the search list",
    value: (i) => i.searchDomains.join(" ") || undefined,
  },
  {
    key: "ONBOOT",
    from: "apps/init/mark",
    why: "a guest the host's initscript started at boot is started at boot by vzctl too",
    value: (i) => (i.config.mark ? "yes" : "no"),
  },
  {
    key: "DISKSPACE",
    from: "dlimits/N/space_total (1K blocks)",
    why: "the same disk quota, in vzctl's 1K blocks, soft:hard",
    value: (i) => {
      const l = rootLimit(i)?.spaceTotalKb;
      return l ? softHard(l) : undefined;
    },
  },
  {
    key: "DISKINODES",
    from: "dlimits/N/inodes_total",
    why: "the same inode quota, soft:hard",
    value: (i) => {
      const l = rootLimit(i)?.inodesTotal;
      return l ? softHard(l) : undefined;
    },
  },
  {
    key: "NUMPROC",
    from: "rlimits/nproc[.hard]",
    why: "the process limit of the context becomes the container's",
    value: (i) => {
      const v = rlimit(i.config, "nproc");
      return v && /^\d+$/.test(v) ? `${v}:${v}` : undefined;
    },
  },
  {
    key: "PHYSPAGES",
    from: "rlimits/rss.soft (else rss, rss.hard), pages",
    why: "the RAM the guest could use; VSwap's barrier is 0",
    value: (i) => memoryFromRss(i.config.rlimits).PHYSPAGES,
  },
  {
    key: "SWAPPAGES",
    from: "rlimits/rss.hard minus the RAM, pages",
    why: "rss.hard bounded RAM plus swap; VSwap splits it into PHYSPAGES and SWAPPAGES",
    value: (i) => memoryFromRss(i.config.rlimits).SWAPPAGES,
  },
  {
    key: "CPULIMIT",
    from: "sched/fill-rate / sched/interval with flags sched_hard, times the cpuset's CPUs",
    why: "the token bucket capped the guest at that share of each CPU it could use; vzctl counts 100 a CPU",
    value: (i) => cpuLimitFromSched(i.config),
  },
  { key: "CPUMASK", from: "cpuset/cpus", why: "pin the container to the same CPUs", value: (i) => i.config.cpusetCpus },
  {
    key: "CAPABILITY",
    from: "bcapabilities",
    why: "extra capabilities the guest was given (CAP_X -> X:on)",
    value: (i) => capabilities(i.config.bcapabilities),
  },
];

const CAPABILITY_LINE = /^(CAP_)?[A-Z_]+$/;

/** util-vserver lists one capability a line (CAP_NET_ADMIN); vzctl wants NET_ADMIN:on. */
export function capabilities(lines: string[]): string | undefined {
  const out = lines.filter((l) => CAPABILITY_LINE.test(l)).map((l) => `${l.replace(/^CAP_/, "")}:on`);
  return out.length > 0 ? out.join(" ") : undefined;
}

export interface MappedSetting {
  key: string;
  value: string;
  from: string;
  why: string;
}

export function mapVserverToCtidConf(input: MappingInput): MappedSetting[] {
  const out: MappedSetting[] = [];
  for (const row of CTID_CONF_MAPPING) {
    const value = row.value(input);
    if (value !== undefined && value !== "") out.push({ key: row.key, value, from: row.from, why: row.why });
  }
  return out;
}

/**
 * VServer settings with no OpenVZ counterpart here: reported so nothing is dropped silently. The commands and
 * files they name are those of container `ctid` in `vzConfDir` (new-user trial 10: "CTID.mount" where the
 * report knew the id).
 */
export function unmappedSettings(
  config: VserverConfig,
  ctid: number | "CTID" = "CTID",
  vzConfDir = "/etc/vz",
): string[] {
  const notes: string[] = [];
  const odd = config.bcapabilities.filter((l) => !CAPABILITY_LINE.test(l));
  if (odd.length > 0) notes.push(`bcapabilities lines not understood (${odd.join(", ")}): set CAPABILITY by hand`);
  if (config.ccapabilities.length > 0)
    notes.push(
      `ccapabilities (${config.ccapabilities.join(", ")}): context capabilities have no vzctl setting; check what the guest needed them for`,
    );
  // sched_hard is read with sched/ (CPULIMIT, or a note of its own)
  const flags = config.flags.filter((f) => f !== "sched_hard");
  if (flags.length > 0) notes.push(`flags (${flags.join(", ")}): VServer context flags are not carried over`);
  notes.push(...unmappedResourceNotes(config, ctid));
  const extraMounts = (config.fstab ?? "")
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#") && !/\s(proc|devpts|tmpfs|sysfs)\s/.test(l));
  if (extraMounts.length > 0)
    notes.push(
      `fstab has ${extraMounts.length} mount(s) beyond proc/devpts/tmpfs (${extraMounts.map(mountWords).join("; ")}): recreate them as bind mounts in ${posix.join(vzConfDir, "conf", `${ctid}.mount`)}`,
    );
  for (const d of config.dlimits)
    if (d.directory && d.directory !== config.vdir && d.directory !== "/")
      notes.push(`dlimits/${d.id} limits ${d.directory}, not the guest root: not mapped`);
  return notes;
}

/** What a .mount script needs of an fstab line: what is mounted where, and how ("/srv/www on /var/www (bind,ro)"). */
function mountWords(line: string): string {
  const [what, where, , options] = line.trim().split(/\s+/);
  return `${what} on ${where}${options && options !== "defaults" ? `, options ${options}` : ""}`;
}
