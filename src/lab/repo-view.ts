import { link, mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeRepoIndex } from "./apt-repo.js";

/** A package at one version, as a repository's Packages file lists it. */
export interface PackageVersion {
  name: string;
  version: string;
}

const INDEX_FILES = new Set(["Packages", "Packages.gz", "Release"]);

/**
 * A view of a flat repository (apt-repo.ts) that does not list some package versions yet: the same .debs
 * (hard links), an index without the held ones. Serving it, then the full repository, is a repository
 * publishing an update (the lab's newer kernel, released after the migration).
 */
export async function repoWithout(fullRepo: string, viewDir: string, held: PackageVersion[]): Promise<void> {
  await mkdir(viewDir, { recursive: true });
  for (const name of await readdir(fullRepo)) {
    if (INDEX_FILES.has(name)) continue;
    await link(join(fullRepo, name), join(viewDir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
  const packages = await readFile(join(fullRepo, "Packages"), "utf8");
  // Dated before the full repository: apt ignores a Release older than the one it already has (a rollback),
  // so a view dated now would hide the update it is later given.
  const fullDate = /^Date: (.+)$/m.exec(await readFile(join(fullRepo, "Release"), "utf8"))?.[1];
  const published = fullDate ? Date.parse(fullDate) : NaN;
  if (Number.isNaN(published)) throw new Error(`${join(fullRepo, "Release")} has no Date`);
  await writeRepoIndex(viewDir, withoutStanzas(packages, held), new Date(published - 3600_000));
}

/** The Packages text without the stanzas of the held package versions. */
export function withoutStanzas(packages: string, held: PackageVersion[]): string {
  const kept = packages
    .split(/\n\n+/)
    .filter((stanza) => stanza.trim() !== "")
    .filter((stanza) => {
      const name = /^Package: (.+)$/m.exec(stanza)?.[1];
      const version = /^Version: (.+)$/m.exec(stanza)?.[1];
      return !held.some((h) => h.name === name && h.version === version);
    });
  return kept.map((stanza) => `${stanza.trim()}\n`).join("\n");
}
