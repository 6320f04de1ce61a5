import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** A killed run skips its teardown: its build (named by its pid) goes when the next run starts. */
function removeBuildsOfEndedRuns(builds: string): void {
  let names: string[];
  try {
    names = readdirSync(builds);
  } catch {
    return; // no build yet
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || runs(pid)) continue;
    rmSync(join(builds, name), { recursive: true, force: true });
  }
}

function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The CLI the tests start is these sources, transpiled once at the start of the run (esbuild, as tsx would do
 * at every start) instead of through tsx in every child: about 0.7 s of CPU saved per CLI started, and the
 * tests start it a few hundred times. bin/mudanza.js runs it when MUDANZA_FROM_SOURCE=1 and MUDANZA_SOURCE_BUILD
 * names it. Inside node_modules/.cache so the packages resolve from the repository; removed when the run ends.
 * In watch mode the sources change under a running vitest: there every CLI goes through tsx as before.
 */
export default async function setup({ config }: { config: { watch: boolean } }): Promise<(() => void) | undefined> {
  if (config.watch) return undefined;
  const builds = join(ROOT, "node_modules", ".cache", "mudanza-test-build");
  removeBuildsOfEndedRuns(builds);
  const outdir = join(builds, `${process.pid}-${randomBytes(6).toString("hex")}`);
  mkdirSync(outdir, { recursive: true });
  // node_modules ends the search for a package scope: say here that these files are ES modules.
  writeFileSync(join(outdir, "package.json"), JSON.stringify({ type: "module" }));
  await build({
    entryPoints: sourceFiles(join(ROOT, "src")),
    outdir,
    outbase: join(ROOT, "src"),
    format: "esm",
    platform: "node",
    target: "node20",
    jsx: "automatic",
    sourcemap: "inline",
    sourcesContent: false,
    logLevel: "error",
  });
  process.env.MUDANZA_SOURCE_BUILD = outdir;
  return () => rmSync(outdir, { recursive: true, force: true });
}
