import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildAptRepo } from "./apt-repo.js";
import { labCacheRoot, recipeHash, repoUrl } from "./cache.js";
import { generateToolKey, readHostKeys } from "./keys.js";
import { runLocal } from "./local.js";
import { removeTree } from "./remove-tree.js";
import { alive } from "./lock.js";
import { BlockedError } from "../errors.js";
import { DEBIAN_MIRROR, DEBIAN_SUITE, labRecipe, SOURCE_PACKAGES, TARGET_PACKAGES } from "./recipe.js";
import { sourceTreeFiles } from "./source-tree.js";
import { targetTreeFiles } from "./target-tree.js";
import { aptAndResolverFiles, authorizedKeysFile, writeTreeFiles } from "./tree-files.js";

/** A built, cached lab: everything a run needs, read-only (runs copy or overlay it). */
export interface LabImages {
  dir: string;
  hash: string;
  sourceTree: string;
  targetBase: string;
  kernel: string;
  initrd: string;
  kernelRelease: string;
  repoDir: string;
  toolKey: string;
  sourceHostKeys: string[];
  targetHostKeys: string[];
  /** Seconds the build took (when this call built it), or undefined when it came from the cache. */
  builtInSec?: number;
}

export type LabLog = (line: string) => void;

/**
 * The VM was installed before the container's last changes: its lab-written files carry an older mtime.
 * Files written within the same second on both sides with the same size would otherwise look equal
 * to rsync's quick check (size + mtime) and never be copied, which no real migration would see.
 */
export const TARGET_INSTALLED_AT = new Date("2025-01-15T09:00:00Z");

/** Returns the cached images for the current recipe, building them first when missing (~3 min). */
export async function ensureLabImages(log: LabLog, env = process.env): Promise<LabImages> {
  const root = labCacheRoot(env);
  const hash = recipeHash();
  const dir = join(root, hash);
  if (existsSync(join(dir, "build.json"))) return loadImages(dir, hash);
  const started = Date.now();
  log(`building the lab images (recipe ${hash}) under ${root}; the first build takes a few minutes`);
  await removeAbandonedBuilds(root);
  const work = join(root, `${hash}.building-${process.pid}`);
  await mkdir(work, { recursive: true });
  try {
    const builtInSec = await buildInto(work, root, hash, started, log, env.MUDANZA_LAB_MIRROR || DEBIAN_MIRROR);
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
    await removeOtherBuilds(root, hash);
    log(`lab images built in ${builtInSec} s`);
    return { ...(await loadImages(dir, hash)), builtInSec };
  } catch (error) {
    // A half-built tree (perhaps with /proc mounted inside) is never left for the next run to trip over.
    await removeTree(work);
    throw new BlockedError(
      `the lab images could not be built (the partial build was removed; the downloaded packages in ${join(root, "debs")} are kept): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function buildInto(
  work: string,
  root: string,
  hash: string,
  started: number,
  log: LabLog,
  mirror: string,
): Promise<number> {
  const toolPub = await generateToolKey(join(work, "tool_key"));
  const [srcSec, tgtSec] = await Promise.all([
    debootstrap(join(work, "source-root"), SOURCE_PACKAGES, join(root, "debs", "source"), mirror),
    debootstrap(join(work, "target-root"), TARGET_PACKAGES, join(root, "debs", "target"), mirror),
  ]);
  log(`debootstrap: source ${srcSec} s, target ${tgtSec} s`);
  const common = [...aptAndResolverFiles(repoUrl), authorizedKeysFile(toolPub)];
  await writeTreeFiles(join(work, "source-root"), [...sourceTreeFiles(), ...common]);
  await writeTreeFiles(join(work, "target-root"), [...targetTreeFiles(), ...common], TARGET_INSTALLED_AT);
  for (const tree of ["source-root", "target-root"]) await chmod(join(work, tree, "root", ".ssh"), 0o700);
  const debs = await buildAptRepo(join(work, "repo"), [join(root, "debs", "source"), join(root, "debs", "target")]);
  log(`package repository: ${debs} packages`);
  await writeFile(
    join(work, "source-host-keys.pub"),
    (await readHostKeys(join(work, "source-root"))).join("\n") + "\n",
  );
  await writeFile(
    join(work, "target-host-keys.pub"),
    (await readHostKeys(join(work, "target-root"))).join("\n") + "\n",
  );
  const kernelRelease = await extractKernel(join(work, "target-root"), work);
  await makeDiskImage(join(work, "target-root"), join(work, "target.qcow2"));
  await rm(join(work, "target-root"), { recursive: true, force: true });
  const builtInSec = Math.round((Date.now() - started) / 1000);
  await writeFile(
    join(work, "build.json"),
    JSON.stringify({ hash, recipe: labRecipe, kernelRelease, builtInSec, builtAt: new Date().toISOString() }, null, 2),
  );
  return builtInSec;
}

/** `HASH.building-PID` folders of builds whose process is gone (killed, or the machine rebooted). */
async function removeAbandonedBuilds(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [])) {
    const pid = /^[0-9a-f]{16}\.building-(\d+)$/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) await removeTree(join(root, name));
  }
}

/** Builds of earlier recipes are dead weight (about 1 GB each): keep only the current one. */
async function removeOtherBuilds(root: string, keep: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (/^[0-9a-f]{16}$/.test(name) && name !== keep) await rm(join(root, name), { recursive: true, force: true });
  }
}

async function loadImages(dir: string, hash: string): Promise<LabImages> {
  const build = JSON.parse(await readFile(join(dir, "build.json"), "utf8")) as { kernelRelease: string };
  const keys = async (name: string) => (await readFile(join(dir, name), "utf8")).trim().split("\n").filter(Boolean);
  return {
    dir,
    hash,
    sourceTree: join(dir, "source-root"),
    targetBase: join(dir, "target.qcow2"),
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    kernelRelease: build.kernelRelease,
    repoDir: join(dir, "repo"),
    toolKey: join(dir, "tool_key"),
    sourceHostKeys: await keys("source-host-keys.pub"),
    targetHostKeys: await keys("target-host-keys.pub"),
  };
}

export async function debootstrap(tree: string, packages: string[], cacheDir: string, mirror: string): Promise<number> {
  const started = Date.now();
  await mkdir(cacheDir, { recursive: true });
  const argv = [
    "debootstrap",
    "--variant=minbase",
    `--cache-dir=${cacheDir}`,
    `--include=${packages.join(",")}`,
    DEBIAN_SUITE,
    tree,
    mirror,
  ];
  // No cap on the whole run (a busy machine takes many times an idle one's 3 minutes): debootstrap prints a
  // line per package, so ten minutes without one is a hang.
  const watch = { silenceTimeoutMs: 10 * 60_000 };
  try {
    await runLocal(argv, watch);
  } catch (error) {
    // one retry: a mirror hiccup should not cost a CI run
    await removeTree(tree);
    await runLocal(argv, watch).catch((second: unknown) => {
      throw new Error(`debootstrap failed twice; first: ${(error as Error).message}`, { cause: second });
    });
  }
  return Math.round((Date.now() - started) / 1000);
}

/** Copies the tree's kernel and initrd out for QEMU's direct kernel boot; returns the kernel release. */
export async function extractKernel(tree: string, out: string): Promise<string> {
  const boot = join(tree, "boot");
  const kernels = (await readdir(boot)).filter((n) => n.startsWith("vmlinuz-")).sort();
  const kernel = kernels.at(-1);
  if (!kernel) throw new Error(`no kernel in ${boot}: linux-image-cloud-amd64 missing from the target tree`);
  const release = kernel.slice("vmlinuz-".length);
  await copyFile(join(boot, kernel), join(out, "vmlinuz"));
  await copyFile(join(boot, `initrd.img-${release}`), join(out, "initrd.img"));
  return release;
}

/** ext4 filled straight from the tree (mkfs.ext4 -d: no loop mount), then a compact qcow2. */
export async function makeDiskImage(tree: string, qcow2: string): Promise<void> {
  const raw = `${qcow2}.raw`;
  await runLocal(["truncate", "-s", `${labRecipe.imageSizeGiB}G`, raw]);
  await runLocal(["mkfs.ext4", "-q", "-F", "-L", "vm-root", "-d", tree, raw]);
  await runLocal(["qemu-img", "convert", "-O", "qcow2", raw, qcow2]);
  await rm(raw, { force: true });
}
