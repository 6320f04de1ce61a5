import { execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { runLocal, tryLocal } from "./local.js";

/**
 * The container's root is a file system of its own, as on an OpenVZ node (simfs quota or ploop), so
 * `df /` inside shows the container's usage rather than the host's disk. A tmpfs needs no loop device,
 * keeps xattrs (file capabilities), and each run gets a fresh copy of the cached tree.
 */
const SIZE = "3g";

export async function mountSourceRoot(root: string, tree: string): Promise<void> {
  await unmountSourceRoot(root);
  await mkdir(root, { recursive: true });
  await runLocal(["mount", "-t", "tmpfs", "-o", `size=${SIZE},mode=0755`, "mudanza-lab-source", root]);
  // "tree/." copies the contents, ownership, modes, hard links and xattrs (-a) into the mounted root
  await runLocal(["cp", "-a", `${tree}/.`, `${root}/`]);
}

export async function unmountSourceRoot(root: string): Promise<void> {
  while ((await tryLocal(["mountpoint", "-q", root])).code === 0) {
    const result = await tryLocal(["umount", root]);
    if (result.code !== 0) await runLocal(["umount", "-l", root]);
  }
}

/** Synchronous variant for process-exit handlers (lazy: processes inside may still be dying). */
export function unmountSourceRootSync(root: string): void {
  try {
    execFileSync("umount", ["-l", root], { stdio: "ignore" });
  } catch {
    // not mounted
  }
}
