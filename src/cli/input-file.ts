import { stat } from "node:fs/promises";
import { BadInputError } from "../errors.js";

/** A file named on the command line must exist before anything runs (exit 2, not a blocked probe). */
export async function requireInputFile(path: string, what: string, { blockDevice = false } = {}): Promise<void> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadInputError(`${what} ${path}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`);
  }
  if (!stats.isFile() && !(blockDevice && stats.isBlockDevice()))
    throw new BadInputError(`${what} ${path} is not a ${blockDevice ? "file or block device" : "file"}`);
}
