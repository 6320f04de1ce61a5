import { chmod, lstat, mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { LAB_NET } from "./recipe.js";

/** One file the lab writes into a debootstrapped tree. */
export interface TreeFile {
  path: string;
  content: string;
  mode?: number;
}

/**
 * Writes files into a root tree on this machine. An existing file or symlink is removed first, so a
 * symlink inside the tree (resolv.conf often is one) can never redirect the write onto the host.
 */
export async function writeTreeFiles(tree: string, files: TreeFile[], mtime?: Date): Promise<void> {
  for (const file of files) {
    if (!file.path.startsWith("/") || file.path.includes(".."))
      throw new Error(`tree file path must be absolute and plain: ${file.path}`);
    const target = join(tree, file.path);
    await mkdir(dirname(target), { recursive: true });
    if (await lstat(target).catch(() => null)) await rm(target, { force: true });
    await writeFile(target, file.content, { flag: "wx", mode: file.mode ?? 0o644 });
    await chmod(target, file.mode ?? 0o644);
    if (mtime) await utimes(target, mtime, mtime);
  }
}

/** Every tree gets its packages from the lab's repository and a name server that never answers (no traffic out). */
export function aptAndResolverFiles(repoUrl: string): TreeFile[] {
  return [
    {
      path: "/etc/apt/sources.list",
      content: `# Lab package repository (served by the lab host; no internet needed)\ndeb [trusted=yes] ${repoUrl} ./\n`,
    },
    // The lab host's veth address runs no DNS server: lookups fail at once and never leave the lab.
    {
      path: "/etc/resolv.conf",
      content: `# lab: no DNS answers here; every lab address is in /etc/hosts\nnameserver ${LAB_NET.hostAddress}\n`,
    },
  ];
}

export function authorizedKeysFile(publicKey: string): TreeFile {
  return { path: "/root/.ssh/authorized_keys", content: publicKey.trim() + "\n", mode: 0o600 };
}
