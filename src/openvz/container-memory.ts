import { BadInputError } from "../errors.js";
import { vzConfValues } from "./vz-conf.js";

/**
 * Memory limits of an OpenVZ container from its vzctl config (/etc/vz/conf/CTID.conf): shell-style
 * KEY="barrier:limit" lines. Page-counted parameters are in pages (4096 bytes on x86) unless a suffix says
 * otherwise (vzctl(8): K, M, G, T bytes; P pages; B bytes); "unlimited" and LONG_MAX mean no limit.
 */
export interface ContainerMemory {
  model: "vswap" | "ubc";
  /** Memory the container was promised: RAM (vswap) or VMGUARPAGES / OOMGUARPAGES barrier (UBC). */
  guaranteedBytes: number;
  /** The most it could use: RAM + swap (vswap) or the PRIVVMPAGES limit (UBC); null = unlimited. */
  burstBytes: number | null;
  /** Where each number came from, for the report. */
  sources: string[];
}

const PAGE = 4096;
const LONG_MAX = "9223372036854775807";
const SUFFIX: Record<string, number> = { "": PAGE, p: PAGE, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** One side of "barrier:limit" in bytes; null = unlimited. */
export function pagesValueToBytes(value: string, key: string): number | null {
  const v = value.trim();
  if (v === "unlimited" || v === LONG_MAX) return null;
  const m = /^(\d+)([pbkmgtPBKMGT]?)$/.exec(v);
  if (!m)
    throw new BadInputError(`${key}="${value}" is not a vzctl value (a number of pages, a size like 1G, or unlimited)`);
  return Number(m[1]) * SUFFIX[m[2]!.toLowerCase()]!;
}

function barrierLimit(
  conf: Record<string, string>,
  key: string,
): { barrier: number | null; limit: number | null } | null {
  const raw = conf[key];
  if (raw === undefined || raw === "") return null;
  const [b, l = b] = raw.split(":");
  return { barrier: pagesValueToBytes(b!, key), limit: pagesValueToBytes(l!, key) };
}

export function containerMemory(text: string, path = "CTID.conf"): ContainerMemory {
  const conf = vzConfValues(text);
  const phys = barrierLimit(conf, "PHYSPAGES");
  if (phys && phys.limit !== null) {
    const swap = barrierLimit(conf, "SWAPPAGES");
    const swapBytes = swap?.limit ?? 0;
    return {
      model: "vswap",
      guaranteedBytes: phys.limit,
      burstBytes: swap && swap.limit === null ? null : phys.limit + swapBytes,
      sources: [`PHYSPAGES="${conf.PHYSPAGES}" (RAM)`, ...(swap ? [`SWAPPAGES="${conf.SWAPPAGES}" (swap)`] : [])],
    };
  }
  const vmguar = barrierLimit(conf, "VMGUARPAGES");
  const oomguar = barrierLimit(conf, "OOMGUARPAGES");
  const privvm = barrierLimit(conf, "PRIVVMPAGES");
  const guaranteed = vmguar?.barrier ?? oomguar?.barrier ?? null;
  if (guaranteed === null && !privvm) {
    throw new BadInputError(
      `${path}: no memory limits found (neither PHYSPAGES with a limit, nor VMGUARPAGES/OOMGUARPAGES/PRIVVMPAGES)`,
    );
  }
  const sources = [
    ...(vmguar ? [`VMGUARPAGES="${conf.VMGUARPAGES}" (guarantee)`] : []),
    ...(oomguar ? [`OOMGUARPAGES="${conf.OOMGUARPAGES}" (OOM guarantee)`] : []),
    ...(privvm ? [`PRIVVMPAGES="${conf.PRIVVMPAGES}" (allocation limit)`] : []),
  ];
  return {
    model: "ubc",
    guaranteedBytes: guaranteed ?? privvm?.barrier ?? 0,
    burstBytes: privvm ? privvm.limit : null,
    sources,
  };
}
