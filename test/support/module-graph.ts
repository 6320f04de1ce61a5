import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const RECORDER = resolve(import.meta.dirname, "record-imports.mjs");

/** Packages only the run and the TUI need: `--help`, `plan` and `status` must start without them. */
export const HEAVY_PACKAGES = ["ink", "react", "ssh2", "listr2"];

/** The npm packages a node command line resolved while it ran (the names under node_modules). */
export async function packagesLoadedBy(
  nodeArgs: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ packages: Set<string>; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), "mudanza-imports-"));
  try {
    const log = join(dir, "imports.log");
    const { stdout } = await run(process.execPath, ["--import", RECORDER, ...nodeArgs], {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), MUDANZA_IMPORT_LOG: log },
    });
    const urls = (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
    const packages = new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/.][^/]*)\//.exec(u)?.[1] ?? []));
    return { packages, stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
