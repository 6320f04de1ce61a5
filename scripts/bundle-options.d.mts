import type { BuildOptions } from "esbuild";

/** See bundle-options.mjs. */
export declare const bundleOptions: BuildOptions;

/** See bundle-options.mjs. */
export declare function buildBundle(options: BuildOptions): Promise<void>;
