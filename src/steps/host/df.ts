/** One data row of `df -P` (POSIX format), with or without `-T`, in any block size the header names. */
export interface DfRow {
  filesystem: string;
  /** Only with `df -T`. */
  fsType?: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  mountPoint: string;
}

/**
 * The one reader of df output. The header says what the columns are: "Filesystem [Type] N-blocks Used
 * Available Capacity Mounted on", where N is the block size (`-B1`: 1, `-k`/`-Pk`: 1024).
 */
export function parseDf(stdout: string): DfRow | null {
  const [header, line] = stdout.trim().split("\n");
  const names = header?.trim().split(/\s+/) ?? [];
  const cols = line?.trim().split(/\s+/) ?? [];
  const typed = names[1] === "Type";
  const blocks = /^(\d+)([KMG]?)-blocks$/i.exec(names[typed ? 2 : 1] ?? "");
  if (!blocks || cols.length < (typed ? 7 : 6)) return null;
  const unit =
    Number(blocks[1]) *
    ({ "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[blocks[2]!.toLowerCase()]!;
  const first = typed ? 2 : 1;
  const [size, used, available] = [cols[first], cols[first + 1], cols[first + 2]].map((n) => Number(n) * unit);
  if (![size, used, available].every((n) => Number.isFinite(n))) return null;
  return {
    filesystem: cols[0]!,
    ...(typed ? { fsType: cols[1]! } : {}),
    sizeBytes: size!,
    usedBytes: used!,
    availableBytes: available!,
    mountPoint: cols.slice(first + 4).join(" "),
  };
}
