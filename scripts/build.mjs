#!/usr/bin/env node
// `npm run build`: the CLI as one bundle, dist/cli/main.js, plus a chunk for each lazily imported part (the
// TUI, ssh, listr, the pipelines), so `--help`, `plan` and `status` read one or two files instead of the
// dozens tsc would emit. npm packages stay outside the bundle (they are the package's dependencies and load
// from node_modules), except commander: every command starts with it, and imported from node_modules it is a
// CommonJS package behind an ES module wrapper (package exports to resolve, its exports guessed by a lexer,
// six files): bundled, `--help` runs about 30 million fewer instructions (valgrind), a sixth of what the CLI
// adds to a bare `node -e 0`. Type checking is `npm run typecheck`'s job, not this script's.
//   node scripts/build.mjs [--outdir DIR]   (default: dist/ beside src/)
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { values } = parseArgs({ options: { outdir: { type: "string" } } });
const outdir = resolve(values.outdir ?? join(root, "dist"));

/** Packages bundled into dist/ instead of loaded from node_modules. */
const BUNDLED_PACKAGES = new Set(["commander"]);

/** Every other bare import (a package, or a package's file) stays an import from node_modules. */
const externalPackages = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

const bundleOptions = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [externalPackages],
  jsx: "automatic",
  sourcemap: true,
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
};

// A bundled CommonJS package calls require() (commander: node:events, node:child_process and the like), which
// an ES module lacks: the files holding esbuild's require shim get one, made for their own location. Only
// those: in every chunk it cost `status` about 10 million instructions.
const REQUIRE_SHIM = 'Dynamic require of "';
const DEFINE_REQUIRE =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);\n';

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

// Files of an earlier build (tsc's one file per module, or old chunks) must not linger beside the bundle.
await rm(outdir, { recursive: true, force: true });
const { outputFiles } = await build({
  ...bundleOptions,
  absWorkingDir: root,
  entryPoints: { "cli/main": join(root, "src", "cli", "main.ts") },
  outdir,
  write: false,
});
for (const file of withRequire(outputFiles)) {
  await mkdir(dirname(file.path), { recursive: true });
  await writeFile(file.path, file.text, { mode: file.path.endsWith("cli/main.js") ? 0o755 : 0o644 });
}
