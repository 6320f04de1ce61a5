import { readFile, rm } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { runLocal, tryLocal } from "./local.js";

/** Mount points at or below `dir`, deepest first, from /proc/self/mountinfo (field 5; octal escapes as the kernel writes them). */
export function mountsBelow(mountinfo: string, dir: string): string[] {
  const root = resolve(dir);
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((field): field is string => Boolean(field))
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === root || point.startsWith(root + sep))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a tree that a killed debootstrap may have left with /proc (or more) mounted inside: rm alone fails
 * with EBUSY there, and on a bind mount it would reach into the host. Unmounts first, deepest first (lazily
 * when a process still holds one), then removes.
 */
export async function removeTree(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  for (const point of mountsBelow(mountinfo, dir)) {
    if ((await tryLocal(["umount", point])).code !== 0) await runLocal(["umount", "-l", point]);
  }
  await rm(dir, { recursive: true, force: true });
}
