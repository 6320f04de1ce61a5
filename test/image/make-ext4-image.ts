import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * A qcow2 whose ext4 filesystem once held a big file that was then deleted: the blocks are free but
 * still hold random data, so a plain copy keeps them and only a sparsifier gets rid of them.
 * Built without mounting: mkfs.ext4 -d from a folder, debugfs -w to rm the big file, qemu-img convert.
 */
export async function makeDeletedDataImage(dir: string, bigMiB = 48): Promise<{ image: string; files: string[] }> {
  const tree = join(dir, "tree");
  await mkdir(join(tree, "etc"), { recursive: true });
  await mkdir(join(tree, "data"), { recursive: true });
  await writeFile(join(tree, "etc", "motd"), "hello from mudanza\n");
  for (const n of [1, 2, 3]) await writeFile(join(tree, "data", `small${n}.bin`), randomBytes(100_000));
  await writeFile(join(tree, "data", "big.bin"), randomBytes(bigMiB * 1024 * 1024));
  const raw = join(dir, "fs.raw");
  execFileSync("mkfs.ext4", ["-q", "-F", "-d", tree, raw, `${bigMiB + 80}M`]);
  execFileSync("debugfs", ["-w", "-R", "rm /data/big.bin", raw], { stdio: "ignore" });
  const image = join(dir, "disk.qcow2");
  execFileSync("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, image]);
  await rm(raw);
  await rm(tree, { recursive: true });
  return { image, files: ["data", "etc", "lost+found"] };
}
