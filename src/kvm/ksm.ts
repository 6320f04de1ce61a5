/**
 * Kernel samepage merging, from /sys/kernel/mm/ksm/* (one integer per file; see the kernel's
 * admin-guide/mm/ksm). pages_sharing is how many pages are deduplicated away: the memory saved now.
 */
export interface KsmState {
  /** 0 stopped, 1 running, 2 stopped and unmerged everything. */
  run: number;
  pagesShared: number;
  pagesSharing: number;
  pagesUnshared: number;
  pagesVolatile: number;
  fullScans: number;
  pagesToScan: number;
  sleepMillisecs: number;
}

export const KSM_DIR = "/sys/kernel/mm/ksm";
export const KSM_FILES = [
  "run",
  "pages_shared",
  "pages_sharing",
  "pages_unshared",
  "pages_volatile",
  "full_scans",
  "pages_to_scan",
  "sleep_millisecs",
] as const;

/** From `grep -H . /sys/kernel/mm/ksm/FILE...` output ("path:value" per line) or a map of file → text. */
export function parseKsm(values: Record<string, string>): KsmState {
  const num = (name: (typeof KSM_FILES)[number]): number => {
    const text = values[name];
    if (text === undefined) throw new Error(`${KSM_DIR}/${name} is missing`);
    const n = Number(text.trim());
    if (!Number.isInteger(n)) throw new Error(`${KSM_DIR}/${name}: "${text.trim()}" is not a number`);
    return n;
  };
  return {
    run: num("run"),
    pagesShared: num("pages_shared"),
    pagesSharing: num("pages_sharing"),
    pagesUnshared: num("pages_unshared"),
    pagesVolatile: num("pages_volatile"),
    fullScans: num("full_scans"),
    pagesToScan: num("pages_to_scan"),
    sleepMillisecs: num("sleep_millisecs"),
  };
}

/** `grep -H . FILES` prints "PATH:VALUE" lines; returns basename → value. */
export function parseGrepH(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    out[line.slice(0, i).split("/").pop()!] = line.slice(i + 1);
  }
  return out;
}

export const ksmSavedBytes = (state: KsmState, pageSize: number): number => state.pagesSharing * pageSize;
