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

/**
 * A VM's memory: a bare number is refused, since parseSize reads it as bytes where qemu's `-m 512` means MiB
 * (found by a new-user trial: `--vm-memory 512` was 512 bytes, and the overcommit report said nothing of it).
 */
export function parseMemorySize(text: string, what: string): number {
  // Zero is no size in any unit: "write 0M or 0G" would be no advice (new-user trial 10).
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(text) && Number(text) > 0)
    throw new BadInputError(
      `${what}: "${text.trim()}" has no unit: write ${text.trim()}M or ${text.trim()}G (a bare number would be bytes, not qemu's MiB)`,
    );
  return parseSize(text, what);
}
