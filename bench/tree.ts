import { execFile } from "node:child_process";
import { link, mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TreeShape {
  files: number;
  /** size of the one sparse file (its data is a few KiB at each end) */
  sparseBytes: number;
}

/**
 * A root-like tree for copy benchmarks: `files` small files in nested folders, one in 50 hard-linked
 * beside it, an xattr on one in 100 (user.*; setfattr from the attr package), one large sparse file.
 */
export async function generateTree(root: string, shape: TreeShape): Promise<void> {
  const perDir = 500;
  const xattrTargets: string[] = [];
  for (let i = 0; i < shape.files; i++) {
    const dir = join(root, "usr", `d${Math.floor(i / (perDir * 20))}`, `e${Math.floor(i / perDir) % 20}`);
    if (i % perDir === 0) await mkdir(dir, { recursive: true });
    const file = join(dir, `f${i}`);
    await writeFile(file, `file ${i}\n`.repeat(1 + (i % 64)));
    if (i % 50 === 0) await link(file, `${file}.hardlink`);
    if (i % 100 === 0) xattrTargets.push(file);
  }
  for (let i = 0; i < xattrTargets.length; i += 500)
    await run("setfattr", ["-n", "user.mudanza.bench", "-v", "1", ...xattrTargets.slice(i, i + 500)]);
  await mkdir(join(root, "var", "lib", "images"), { recursive: true });
  const sparse = await open(join(root, "var", "lib", "images", "disk.img"), "w");
  await sparse.write(Buffer.alloc(4096, 1), 0, 4096, 0);
  await sparse.write(Buffer.alloc(4096, 2), 0, 4096, shape.sparseBytes - 4096);
  await sparse.close();
}
