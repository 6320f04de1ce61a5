import { statSync } from "node:fs";
import { BadInputError } from "../errors.js";

/** A file named on the command line must exist before anything runs (exit 2, not a blocked probe). */
export async function requireInputFile(path: string, what: string, { blockDevice = false } = {}): Promise<void> {
  let stats;
  try {
    // Synchronous: this module loads with every command, and node:fs/promises costs `--help` ~7M instructions.
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadInputError(`${what} ${path}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`);
  }
  if (!stats.isFile() && !(blockDevice && stats.isBlockDevice()))
    throw new BadInputError(`${what} ${path} is not a ${blockDevice ? "file or block device" : "file"}`);
}
