import { lstat, mkdir, rm, writeFile, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";

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
export async function writeTreeFiles(tree: string, files: TreeFile[]): Promise<void> {
  for (const file of files) {
    if (!file.path.startsWith("/") || file.path.includes("..")) throw new Error(`tree file path must be absolute and plain: ${file.path}`);
    const target = join(tree, file.path);
    await mkdir(dirname(target), { recursive: true });
    if (await lstat(target).catch(() => null)) await rm(target, { force: true });
    await writeFile(target, file.content, { flag: "wx", mode: file.mode ?? 0o644 });
    await chmod(target, file.mode ?? 0o644);
  }
}

/** Every tree gets its packages from the lab's repository and no DNS server at all (no traffic out). */
export function aptAndResolverFiles(repoUrl: string): TreeFile[] {
  return [
    { path: "/etc/apt/sources.list", content: `# Lab package repository (served by the lab host; no internet needed)\ndeb [trusted=yes] ${repoUrl} ./\n` },
    { path: "/etc/resolv.conf", content: "# lab: no name server; every lab address is in /etc/hosts\n" },
  ];
}

export function authorizedKeysFile(publicKey: string): TreeFile {
  return { path: "/root/.ssh/authorized_keys", content: publicKey.trim() + "\n", mode: 0o600 };
}
