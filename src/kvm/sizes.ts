import { BadInputError } from "../errors.js";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "2G", "512M", "2048MiB", "1.5g", "4096" (bytes) → bytes; binary units, as virsh and vzctl use them. */
export function parseSize(text: string, what = "size"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new BadInputError(`${what}: "${text}" is not a size (examples: 2G, 512M, 2048MiB)`);
  const bytes = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isFinite(bytes) || bytes <= 0) throw new BadInputError(`${what}: "${text}" must be more than zero`);
  return Math.round(bytes);
}
