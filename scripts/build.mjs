#!/usr/bin/env node
// `npm run build`: the CLI as one bundle, dist/cli/main.js, plus a chunk for each lazily imported part (the
// TUI, ssh, listr, the pipelines), so `--help`, `plan` and `status` read one or two files instead of the
// dozens tsc would emit. npm packages stay outside the bundle (they are the package's dependencies and load
// from node_modules), except commander, yaml, zod and execa (scripts/bundle-options.mjs says why). Type
// checking is `npm run typecheck`'s job, not this script's.
//   node scripts/build.mjs [--outdir DIR]   (default: dist/ beside src/)
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildBundle } from "./bundle-options.mjs";
import { buildLightFront } from "./light-front.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { values } = parseArgs({ options: { outdir: { type: "string" } } });
const outdir = resolve(values.outdir ?? join(root, "dist"));

// Files of an earlier build (tsc's one file per module, or old chunks) must not linger beside the bundle.
await rm(outdir, { recursive: true, force: true });
await buildBundle({
  sourcemap: true,
  absWorkingDir: root,
  entryPoints: { "cli/main": join(root, "src", "cli", "main.ts") },
  outdir,
});
await buildLightFront(root, outdir);
