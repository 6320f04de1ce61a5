// The light front, dist/cli/light.cjs: the same program (src/cli/main.ts) as ONE CommonJS file, for the command
// lines bin/mudanza.js sends it (help, --version, status; lightFrontHandles in bin/mudanza.js says which). Every subcommand
// is registered, so help and errors are the full program's, but the actions of commands it is never given are
// left out: their dynamic imports become a module that throws. One file and no ES module loader: `--help` runs
// about 30 million fewer instructions than the split ES module build (valgrind).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { LIGHT_BUNDLED_PACKAGES, bundleOptions, externalPackages, lazyChildProcess } from "./bundle-options.mjs";

const { BUILD_MARK } = createRequire(import.meta.url)("../bin/code-cache.js");

/** Command files whose lazily imported actions the light front runs: status and the runs table it shares. */
const LIGHT_ACTIONS = new Set(["status.ts", "status-show.ts", "status-find.ts", "runs-table.ts"]);

const leaveOutOtherActions = (root) => ({
  name: "leave-out-other-actions",
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== "dynamic-import") return undefined;
      const from = relative(join(root, "src", "cli", "commands"), args.importer);
      if (from.includes("/") || from.startsWith("..") || LIGHT_ACTIONS.has(from)) return undefined;
      return { path: `${from} -> ${args.path}`, namespace: "left-out" };
    });
    build.onLoad({ filter: /.*/, namespace: "left-out" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`mudanza: the light front cannot run ${args.path} (bin/mudanza.js sent it a command line it does not handle)`)});`,
      loader: "js",
    }));
  },
});

/** Builds dist/cli/light.cjs from the sources under `root` into `outdir`. */
export async function buildLightFront(root, outdir) {
  await build({
    ...bundleOptions,
    splitting: false,
    format: "cjs",
    chunkNames: undefined,
    plugins: [leaveOutOtherActions(root), externalPackages(LIGHT_BUNDLED_PACKAGES), lazyChildProcess],
    absWorkingDir: root,
    entryPoints: { "cli/light": join(root, "src", "cli", "main.ts") },
    outExtension: { ".js": ".cjs" },
    outdir,
    sourcemap: true,
  });
  const light = join(outdir, "cli", "light.cjs");
  // The build's own ID ends the file: the code cache names it, so a cache of another build is never used.
  await appendFile(light, `${BUILD_MARK}${randomBytes(8).toString("hex")}\n`);
  await writeCodeCache(root, light);
  return readFile(light, "utf8");
}

/**
 * Writes light.cjs's V8 code cache beside it (bin/code-cache.js), made by scripts/light-front-cache.cjs in a
 * node of this version without flags: NODE_OPTIONS could carry V8 flags, and V8 refuses a cache made under
 * other flags than the start's.
 * The status it runs reads a real journal, written first by a run of the fixture plan on its scripted hosts
 * (it stops at a step their rules lack, as any run may): status of a plan without one loads the plan (yaml,
 * zod) instead, and the cache then held bytecode no start of status or help uses, which every start
 * deserializes (valgrind: status 5 million instructions more). The run is the sources' (through tsx, which a
 * build has as esbuild's fellow dev dependency): the main.js just built may lie where its packages cannot be
 * found (`--outdir` in a package folder being packed).
 */
async function writeCodeCache(root, light) {
  const plan = join(root, "fixtures", "plans", "ovz-kvm-debian-12.yaml");
  if (!existsSync(plan)) throw new Error(`${plan} is missing: the light front's code cache is made with it`);
  const state = await mkdtemp(join(tmpdir(), "mudanza-code-cache-"));
  const env = { ...process.env, CI: "1", NO_COLOR: "1" };
  for (const name of ["NODE_OPTIONS", "MUDANZA_FROM_SOURCE", "MUDANZA_SOURCE_BUILD"]) delete env[name];
  try {
    const bin = join(root, "bin", "mudanza.js");
    await promisify(execFile)(process.execPath, [bin, "run", plan, "--yes", "--state-dir", state], {
      // TSX_DISABLE_CACHE: tsx would otherwise leave its compile cache in /tmp/tsx-UID after every set-up
      env: { ...env, MUDANZA_FROM_SOURCE: "1", TSX_DISABLE_CACHE: "1" },
      timeout: 120_000,
    }).catch((error) => {
      // exit 1: a step failed (the scripted hosts answer only some commands); the journal is what is wanted
      if (error.code !== 1) throw error;
    });
    await promisify(execFile)(process.execPath, [join(root, "scripts", "light-front-cache.cjs"), light, plan, state], {
      env,
      timeout: 120_000,
    });
  } catch (error) {
    throw new Error(`the light front's code cache could not be written: ${error.stderr || error.message}`);
  } finally {
    await rm(state, { recursive: true, force: true });
  }
  if (!existsSync(`${light}.code-cache`)) throw new Error(`${light}.code-cache was not written`);
}
