#!/usr/bin/env node
// An installed package runs the built CLI (dist/, made by `npm run build`, which `npm ci` and `npm pack`
// run through `prepare`). Only a checkout of the repository (src/ beside dist/) may run the TypeScript
// sources through tsx: when dist/ is not built, or with MUDANZA_FROM_SOURCE=1 (the tests set it, so they
// never run a stale build).
// CommonJS (bin/package.json), not an ES module: an ES module entry costs every start the ES module loader,
// about a third of what a bare `node -e 0` runs (valgrind), which the light front below never needs.
// Builtins through process.getBuiltinModule, like the bundles, not require.
const { existsSync } = process.getBuiltinModule("node:fs");
const { pathToFileURL } = process.getBuiltinModule("node:url");
const { dirname, join } = process.getBuiltinModule("node:path");

const root = dirname(__dirname);
const built = join(root, "dist", "cli", "main.js");
const light = join(root, "dist", "cli", "light.cjs");
const source = join(root, "src", "cli", "main.ts");
const checkout = existsSync(source);

/**
 * Whether the light front runs this command line, decided from the arguments alone: nothing but the root's
 * flags (-v, --verbose, --debug) before help, -h/--help, -V/--version, status, or no command at all. Not
 * `help A B`: the program reads it as `A B --help` (program.ts), whose help may load what the light front
 * leaves out (a plan kind's options).
 */
function lightFrontHandles(args) {
  const at = args.findIndex((arg) => arg !== "-v" && arg !== "--verbose" && arg !== "--debug");
  if (at === -1) return true;
  if (args[at] === "help") return args.length - at <= 2;
  return ["-h", "--help", "-V", "--version", "status"].includes(args[at]);
}

async function start() {
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
  } else if (lightFrontHandles(process.argv.slice(2)) && existsSync(light)) {
    // Help, --version and status as one CommonJS file (scripts/light-front.mjs), compiled with its code cache
    // (bin/code-cache.js). Never both it and main.js in one process: two copies of the error classes would
    // break the exit codes.
    // --debug prints stack traces: without the cache they name the file where it is (the cache's, the package's name).
    const cached = process.argv.includes("--debug")
      ? (require(light), false)
      : require("./code-cache.js").runWithCodeCache(light);
    // MUDANZA_TRACE=1 (src/hosts/timing-trace.ts): which front ran, and whether V8 took the code cache.
    if (process.env.MUDANZA_TRACE === "1")
      process.stderr.write(
        `trace ${performance.now().toFixed(0).padStart(6)} ms light front (dist/cli/light.cjs), code cache ${cached ? "used" : "not used"}\n`,
      );
  } else if (existsSync(built)) {
    await import(pathToFileURL(built).href);
  } else {
    process.stderr.write(
      `mudanza: ${built} is missing: this installation is incomplete (reinstall the package, or run \`npm run build\` in a checkout)\n`,
    );
    process.exitCode = 70;
  }
}

void start();
