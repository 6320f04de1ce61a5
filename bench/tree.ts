import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TreeShape {
  files: number;
  /** size of the one sparse file (its data is a few KiB at each end) */
  sparseBytes: number;
}

// python3 writes small files several times faster than node's promise-per-file writes (200k files in
// seconds, not minutes), and sets xattrs without a setfattr process per batch.
const MAKE = `
import os, sys
root, count, sparse = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per_dir = 500
for i in range(count):
    if i % per_dir == 0:
        d = os.path.join(root, "usr", "d%d" % (i // (per_dir * 20)), "e%d" % ((i // per_dir) % 20))
        os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "f%d" % i)
    with open(path, "wb") as f:
        f.write((b"file %d\\n" % i) * (1 + i % 64))
    if i % 50 == 0:
        os.link(path, path + ".hardlink")
    if i % 100 == 0:
        os.setxattr(path, "user.mudanza.bench", b"1")
images = os.path.join(root, "var", "lib", "images")
os.makedirs(images, exist_ok=True)
with open(os.path.join(images, "disk.img"), "wb") as f:
    f.write(b"\\x01" * 4096)
    f.seek(sparse - 4096)
    f.write(b"\\x02" * 4096)
`;

/**
 * A root-like tree for copy benchmarks: `files` small files in nested folders, one in 50 hard-linked
 * beside it, an xattr on one in 100 (user.*), one large sparse file.
 */
export async function generateTree(root: string, shape: TreeShape): Promise<void> {
  await run("python3", ["-c", MAKE, root, String(shape.files), String(shape.sparseBytes)], {
    maxBuffer: 1024 ** 2,
  });
}
