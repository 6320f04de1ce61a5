#!/usr/bin/env node
// An installed package runs the built CLI (dist/, made by `npm run build`, which `npm ci` and `npm pack`
// run through `prepare`). Only a checkout of the repository (src/ beside dist/) may run the TypeScript
// sources through tsx: when dist/ is not built, or with MUDANZA_FROM_SOURCE=1 (the tests set it, so they
// never run a stale build).
// Builtins through process.getBuiltinModule, not imports: each imported builtin gets an ES module wrapper, which
// costs every start a few million instructions.
const { existsSync } = process.getBuiltinModule("node:fs");
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule("node:url");
const { dirname, join } = process.getBuiltinModule("node:path");

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, "dist", "cli", "main.js");
const source = join(root, "src", "cli", "main.ts");
const checkout = existsSync(source);

const sourceBuild = process.env.MUDANZA_SOURCE_BUILD;
if (
  checkout &&
  process.env.MUDANZA_FROM_SOURCE === "1" &&
  sourceBuild &&
  existsSync(join(sourceBuild, "cli", "main.js"))
) {
  // The same sources, transpiled once by the test run (test/support/source-build.ts) instead of at every start.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(join(sourceBuild, "cli", "main.js")).href);
} else if (checkout && (process.env.MUDANZA_FROM_SOURCE === "1" || !existsSync(built))) {
  const { register } = await import("tsx/esm/api");
  // The repository's tsconfig (jsx: react-jsx and the rest), wherever the CLI is started from.
  register({ tsconfig: join(root, "tsconfig.json") });
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write(
    `mudanza: ${built} is missing: this installation is incomplete (reinstall the package, or run \`npm run build\` in a checkout)\n`,
  );
  process.exitCode = 70;
}
