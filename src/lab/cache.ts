import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { labRecipe, LAB_NET } from "./recipe.js";
import { sourceTreeFiles } from "./source-tree.js";
import { targetTreeFiles } from "./target-tree.js";
import { aptAndResolverFiles } from "./tree-files.js";

/** Where built lab images live: $MUDANZA_LAB_CACHE, else ~/.cache/mudanza/lab. */
export function labCacheRoot(env = process.env): string {
  return env.MUDANZA_LAB_CACHE || join(homedir(), ".cache", "mudanza", "lab");
}

export const repoUrl = `http://${LAB_NET.hostAddress}:${LAB_NET.repoPort}/`;

/** The hash of everything that goes into the images: package lists, addresses and every file written. */
export function recipeHash(): string {
  const material = JSON.stringify({
    recipe: labRecipe,
    source: sourceTreeFiles(),
    target: targetTreeFiles(),
    common: aptAndResolverFiles(repoUrl),
  });
  return createHash("sha256").update(material).digest("hex").slice(0, 16);
}
