// How the CLI is bundled, shared by scripts/build.mjs and the benchmarks that bundle a CLI of their own
// (bench/copy-cli-build.ts), so a benchmark measures what users run: npm packages left to node_modules
// except commander, and each lazily imported part (the TUI, ssh, the pipelines) in a chunk of its own.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { build } from "esbuild";

/**
 * Packages bundled instead of loaded from node_modules, by every bundle. commander: every command starts with
 * it, and from node_modules it is a CommonJS package behind an ES module wrapper (package exports to resolve,
 * its exports guessed by a lexer, six files): bundled, `--help` runs about 30 million fewer instructions
 * (valgrind), a sixth of what the CLI adds to a bare `node -e 0`.
 */
export const LIGHT_BUNDLED_PACKAGES = ["commander"];

/**
 * The split build (every command but help and status) also bundles the pure-JavaScript packages that every run,
 * plan and dry run loads: yaml (84 files), zod (99) and execa (about 120 with its dependencies) were each
 * resolved, read and compiled as separate modules; bundled, each start of those commands takes ~0.15 s less
 * CPU (scripted dry run 0.70 → 0.56 s, `--yes` run 0.85 → 0.70 s: medians of six alternated runs, load 5–9).
 * ssh2 (optional native parts found by relative paths), ink and react (the TUI's own lazily loaded chunk) and
 * listr2 stay in node_modules. The light front keeps only commander: it loads yaml and zod only for a plan that
 * changed since its run, and bundling them made it 5.6 times larger.
 */
const MAIN_BUNDLED_PACKAGES = [...LIGHT_BUNDLED_PACKAGES, "yaml", "zod", "execa"];

/** Every other bare import (a package, or a package's file) stays an import from node_modules. */
export const externalPackages = (bundled) => ({
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0];
      return bundled.includes(name) ? undefined : { path: args.path, external: true };
    });
  },
});

/**
 * commander requires node:child_process at its top, for git-style executable subcommands this CLI never has:
 * loaded only when a subcommand is spawned, `--help` runs about 5 million fewer instructions (valgrind
 * --predictable). The build fails if commander's line changes, rather than bundle it unchanged unnoticed.
 */
const CHILD_PROCESS_REQUIRE = "const childProcess = require('node:child_process');";
const LAZY_CHILD_PROCESS = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };";
export const lazyChildProcess = {
  name: "commander-lazy-child-process",
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes(CHILD_PROCESS_REQUIRE) || text.match(/childProcess\.(?!spawn\b)\w+/))
        throw new Error(
          `${args.path}: commander no longer uses node:child_process as scripts/bundle-options.mjs expects`,
        );
      return { contents: text.replace(CHILD_PROCESS_REQUIRE, LAZY_CHILD_PROCESS), loader: "js" };
    });
  },
};

/**
 * zod's index re-exports its 60-odd translations of the error messages (`z.locales`) as one namespace, which
 * keeps them all in the bundle, read and compiled at every start. mudanza words its own errors in English and
 * never calls `z.config(z.locales.xx())`: the bundle keeps English only (the default zod sets by itself).
 */
const ZOD_LOCALES_INDEX = /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/;
export const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad({ filter: ZOD_LOCALES_INDEX }, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: "js",
    }));
  },
};

/** @type {import("esbuild").BuildOptions} */
export const bundleOptions = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [externalPackages(MAIN_BUNDLED_PACKAGES), lazyChildProcess, zodEnglishOnly],
  jsx: "automatic",
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
};

// A bundled CommonJS package calls require() (commander: node:events, node:child_process and the like), which
// an ES module lacks: the files holding esbuild's require shim get one, made for their own location. Only
// those: in every chunk it cost `status` about 10 million instructions. node:module comes through
// process.getBuiltinModule (Node 20.16+), not an import: an imported builtin gets an ES module wrapper
// (about 4 million instructions for this one).
const REQUIRE_SHIM = 'Dynamic require of "';
const DEFINE_REQUIRE = 'const require = process.getBuiltinModule("node:module").createRequire(import.meta.url);\n';

/** The output as esbuild made it, with require defined where the shim needs it (its source map moved down a line). */
function withRequire(files) {
  const needing = new Set(
    files.filter((f) => f.path.endsWith(".js") && f.text.includes(REQUIRE_SHIM)).map((f) => f.path),
  );
  return files.map((file) => {
    if (needing.has(file.path))
      return { path: file.path, text: file.text.replace(/^(#!.*\n)?/, (shebang) => shebang + DEFINE_REQUIRE) };
    if (file.path.endsWith(".js.map") && needing.has(file.path.slice(0, -".map".length))) {
      const map = JSON.parse(file.text);
      return { path: file.path, text: JSON.stringify({ ...map, mappings: ";" + map.mappings }) };
    }
    return { path: file.path, text: file.text };
  });
}

/**
 * esbuild's build with these options and `options` on top, written out with require defined where a bundled
 * package needs it; entry points keep their shebang and are executable.
 * @param {import("esbuild").BuildOptions} options
 */
export async function buildBundle(options) {
  const { outputFiles } = await build({ ...bundleOptions, ...options, write: false });
  for (const file of withRequire(outputFiles)) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.text, { mode: file.text.startsWith("#!") ? 0o755 : 0o644 });
  }
}
