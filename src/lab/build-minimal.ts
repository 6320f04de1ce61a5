import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildAptRepo } from "./apt-repo.js";
import {
  debootstrap,
  extractKernel,
  makeDiskImage,
  TARGET_INSTALLED_AT,
  type LabImages,
  type LabLog,
} from "./build.js";
import { labCacheRoot, repoUrl } from "./cache.js";
import { readHostKeys } from "./keys.js";
import { removeTree } from "./remove-tree.js";
import { runLocal } from "./local.js";
import { DEBIAN_MIRROR, minimalRecipe, NEWER_KERNEL } from "./recipe.js";
import { sourceTreeFiles } from "./source-tree.js";
import { dhcpTargetTreeFiles } from "./target-tree.js";
import { aptAndResolverFiles, authorizedKeysFile, writeTreeFiles } from "./tree-files.js";

/** What one boot of the lab needs from a build: the two hosts' images, their keys and the repository. */
export interface HostImages {
  sourceTree: string;
  targetBase: string;
  kernel: string;
  initrd: string;
  repoDir: string;
  sourceHostKeys: string[];
  targetHostKeys: string[];
  /** Seconds the build took (when this call built it), or undefined when it came from the cache. */
  builtInSec?: number;
}

/** Cache entries of this variant are named so: the main build's cleanup (16 hex digits only) leaves them alone. */
const PREFIX = "minimal-";

/** The hash of the variant's recipe, its files, and the main build it takes its keys from. */
export function minimalRecipeHash(base: LabImages): string {
  const material = JSON.stringify({
    recipe: minimalRecipe,
    source: sourceTreeFiles(),
    target: dhcpTargetTreeFiles(),
    common: aptAndResolverFiles(repoUrl),
    base: base.hash,
  });
  return createHash("sha256").update(material).digest("hex").slice(0, 16);
}

/**
 * The minimal-template variant beside the main build: a minbase container and a VM on DHCP, a repository
 * that also holds a newer kernel. The container keeps the main build's host keys and both trees the tool
 * key, so the lab's known_hosts for the source and the tool's identity stay the same across variants.
 */
export async function ensureMinimalImages(base: LabImages, log: LabLog, env = process.env): Promise<HostImages> {
  const root = labCacheRoot(env);
  const hash = minimalRecipeHash(base);
  const dir = join(root, `${PREFIX}${hash}`);
  if (existsSync(join(dir, "build.json"))) return loadMinimal(dir, base);
  const started = Date.now();
  log(`building the minimal-template lab images (recipe ${hash}) under ${root}`);
  const work = join(root, `${PREFIX}${hash}.building-${process.pid}`);
  await removeTree(work);
  await mkdir(work, { recursive: true });
  const mirror = env.MUDANZA_LAB_MIRROR || DEBIAN_MIRROR;
  const source = join(work, "source-root");
  const target = join(work, "target-root");
  try {
    const [srcSec, tgtSec] = await Promise.all([
      debootstrap(source, minimalRecipe.source, join(root, "debs", "source"), mirror),
      debootstrap(target, minimalRecipe.target, join(root, "debs", "target"), mirror),
    ]);
    log(`debootstrap (minimal): source ${srcSec} s, target ${tgtSec} s`);
    return await finishMinimalBuild(work, base, log, env, started);
  } catch (error) {
    // as the main build: a half-built tree (perhaps with /proc mounted inside) is not left behind
    await removeTree(work);
    throw error;
  }
}

/** The build after both trees are bootstrapped in work: files, keys, repository, disk image; then the cache entry. */
export async function finishMinimalBuild(
  work: string,
  base: LabImages,
  log: LabLog,
  env: NodeJS.ProcessEnv,
  started: number,
): Promise<HostImages> {
  const root = labCacheRoot(env);
  const hash = minimalRecipeHash(base);
  const dir = join(root, `${PREFIX}${hash}`);
  const source = join(work, "source-root");
  const target = join(work, "target-root");
  const common = [...aptAndResolverFiles(repoUrl), authorizedKeysFile(await readFile(`${base.toolKey}.pub`, "utf8"))];
  await writeTreeFiles(source, [...sourceTreeFiles(), ...common]);
  await writeTreeFiles(target, [...dhcpTargetTreeFiles(), ...common], TARGET_INSTALLED_AT);
  for (const tree of [source, target]) await chmod(join(tree, "root", ".ssh"), 0o700);
  await copySourceHostKeys(base.sourceTree, source);
  // Debian's mariadb-server enables its socket; enabling it again states that this variant relies on it.
  await runLocal(["systemctl", `--root=${source}`, "enable", "mariadb.socket"]);
  const newer = join(work, "newer-kernel");
  await buildNewerKernelDebs(newer);
  const debs = await buildAptRepo(join(work, "repo"), [
    join(root, "debs", "source"),
    join(root, "debs", "target"),
    newer,
  ]);
  log(`package repository (minimal): ${debs} packages`);
  await writeFile(join(work, "target-host-keys.pub"), (await readHostKeys(target)).join("\n") + "\n");
  const kernelRelease = await extractKernel(target, work);
  await makeDiskImage(target, join(work, "target.qcow2"));
  await rm(target, { recursive: true, force: true });
  await rm(newer, { recursive: true, force: true });
  const builtInSec = Math.round((Date.now() - started) / 1000);
  await writeFile(
    join(work, "build.json"),
    JSON.stringify(
      { hash, recipe: minimalRecipe, kernelRelease, builtInSec, builtAt: new Date().toISOString() },
      null,
      2,
    ),
  );
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  for (const name of await readdir(root)) {
    if (name.startsWith(PREFIX) && name !== `${PREFIX}${hash}` && !name.includes(".building-"))
      await rm(join(root, name), { recursive: true, force: true });
  }
  log(`minimal-template lab images built in ${builtInSec} s`);
  return { ...(await loadMinimal(dir, base)), builtInSec };
}

async function loadMinimal(dir: string, base: LabImages): Promise<HostImages> {
  const keys = (await readFile(join(dir, "target-host-keys.pub"), "utf8")).trim().split("\n").filter(Boolean);
  return {
    sourceTree: join(dir, "source-root"),
    targetBase: join(dir, "target.qcow2"),
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    repoDir: join(dir, "repo"),
    sourceHostKeys: base.sourceHostKeys,
    targetHostKeys: keys,
  };
}

async function copySourceHostKeys(from: string, to: string): Promise<void> {
  const dir = join(to, "etc", "ssh");
  for (const name of await readdir(dir)) if (name.startsWith("ssh_host_")) await rm(join(dir, name));
  for (const name of await readdir(join(from, "etc", "ssh"))) {
    if (!name.startsWith("ssh_host_")) continue;
    await copyFile(join(from, "etc", "ssh", name), join(dir, name));
    await chmod(join(dir, name), name.endsWith(".pub") ? 0o644 : 0o600);
  }
}

/** The newer kernel pair (NEWER_KERNEL), built with dpkg-deb: empty packages, only their relations matter. */
async function buildNewerKernelDebs(out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const control = (name: string, extra: string[]) =>
    [
      `Package: ${name}`,
      `Version: ${NEWER_KERNEL.version}`,
      "Architecture: amd64",
      "Maintainer: mudanza lab <lab@lab.example>",
      "Section: kernel",
      "Priority: optional",
      ...extra,
      "Description: mudanza lab stand-in for a kernel update (no files)",
      " Offered to a VM only through its kernel metapackage.",
      "",
    ].join("\n");
  const packages = [
    { name: NEWER_KERNEL.image, control: control(NEWER_KERNEL.image, []) },
    {
      name: NEWER_KERNEL.metapackage,
      control: control(NEWER_KERNEL.metapackage, [`Depends: ${NEWER_KERNEL.image} (= ${NEWER_KERNEL.version})`]),
    },
  ];
  for (const pkg of packages) {
    const tree = join(out, `${pkg.name}.tree`);
    await mkdir(join(tree, "DEBIAN"), { recursive: true });
    await writeFile(join(tree, "DEBIAN", "control"), pkg.control);
    await runLocal([
      "dpkg-deb",
      "--root-owner-group",
      "--build",
      tree,
      join(out, `${pkg.name}_${NEWER_KERNEL.version}_amd64.deb`),
    ]);
    await rm(tree, { recursive: true, force: true });
  }
}
