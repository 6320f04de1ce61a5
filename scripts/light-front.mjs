// The light front, dist/cli/light.cjs: the same program (src/cli/main.ts) as ONE CommonJS file, for the command
// lines bin/mudanza.js sends it (help, --version, status; bin/light-front-argv.js says which). Every subcommand
// is registered, so help and errors are the full program's, but the actions of commands it is never given are
// left out: their dynamic imports become a module that throws. One file and no ES module loader: `--help` runs
// about 30 million fewer instructions than the split ES module build (valgrind).
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { LIGHT_BUNDLED_PACKAGES, bundleOptions, externalPackages, lazyChildProcess } from "./bundle-options.mjs";

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
  return readFile(join(outdir, "cli", "light.cjs"), "utf8");
}
