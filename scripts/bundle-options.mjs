// How the CLI is bundled, shared by scripts/build.mjs and the benchmarks that bundle a CLI of their own
// (bench/copy-cli-build.ts), so a benchmark measures what users run: npm packages left to node_modules,
// and each lazily imported part (the TUI, ssh, the pipelines) in a chunk of its own.
/** @type {import("esbuild").BuildOptions} */
export const bundleOptions = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  jsx: "automatic",
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
};
