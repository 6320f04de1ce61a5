/** /proc/meminfo values in bytes (the file says kB and means KiB). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (line.trimEnd().endsWith("kB") ? 1024 : 1);
  }
  return out;
}

export function memTotalBytes(text: string): number {
  const total = parseMeminfo(text).MemTotal;
  if (total === undefined) throw new Error("/proc/meminfo has no MemTotal line");
  return total;
}
