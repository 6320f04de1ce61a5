import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { buildBundle } from "../scripts/bundle-options.mjs";

/**
 * Bundles bench/copy-cli.ts with the CLI's bundle options (scripts/bundle-options.mjs: the packages it names
 * bundled, the others left to node_modules, lazily imported parts in chunks of their own, so the TUI loads only in
 * --tui runs) into `scratch`, with a node_modules link beside it for those packages; returns the command line that
 * runs it.
 */
export async function buildCopyCli(root: string, scratch: string): Promise<string[]> {
  const outdir = join(scratch, "copy-cli");
  await mkdir(outdir, { recursive: true });
  await symlink(join(root, "node_modules"), join(scratch, "node_modules"), "dir");
  await buildBundle({
    absWorkingDir: root,
    entryPoints: { "copy-cli": join(root, "bench", "copy-cli.ts") },
    outdir,
  });
  return [process.execPath, join(outdir, "copy-cli.js")];
}
