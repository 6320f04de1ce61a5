import { accessSync, constants, lstatSync, readlinkSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { BadInputError, fileErrorText, nameForTerminal, unreadableText } from "../errors.js";

/**
 * A file named on the command line must exist, and this user must be able to read it, before anything runs
 * (exit 2, not a blocked probe): a file the user cannot open is an argument to fix, like a missing one. What
 * is in it (not an image, a broken backing chain) is for the probes to say.
 */
export async function requireInputFile(path: string, what: string, { blockDevice = false } = {}): Promise<void> {
  let stats;
  try {
    // Synchronous: this module loads with every command, and node:fs/promises costs `--help` ~7M instructions.
    stats = statSync(path);
  } catch (error) {
    throw notUsable(path, what, error);
  }
  if (!stats.isFile() && !(blockDevice && stats.isBlockDevice()))
    throw new BadInputError(
      `${what} ${nameForTerminal(path)} is not a ${blockDevice ? "file or block device" : "file"}`,
    );
  try {
    // stat needs no read permission: without this, qemu-img's "Permission denied" came from a probe (exit 3).
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw notUsable(path, what, error);
  }
}

function notUsable(given: string, what: string, error: unknown): BadInputError {
  const path = nameForTerminal(given);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new BadInputError(`${what} ${path}: ${danglingLinkText(given) ?? "no such file"}`);
  const unreadable = unreadableText(error);
  if (unreadable) return new BadInputError(`${what} ${path}: ${unreadable}`);
  return new BadInputError(`${what} ${path}: ${fileErrorText(error)}`);
}

/**
 * A path that is there as a symbolic link whose target is not: "no such file" pointed at the link, which the
 * user can see with ls (new-user trial 7). Undefined when the path itself is missing.
 */
function danglingLinkText(path: string): string | undefined {
  let target: string;
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    target = readlinkSync(path);
  } catch {
    return undefined;
  }
  const resolved = isAbsolute(target) ? target : resolve(dirname(path), target);
  const shown = `${nameForTerminal(target)}${resolved === target ? "" : ` (${nameForTerminal(resolved)})`}`;
  let targetIsLink = false;
  try {
    targetIsLink = lstatSync(resolved).isSymbolicLink();
  } catch {
    // the target is missing: said below
  }
  return targetIsLink
    ? `a symbolic link to ${shown}, itself a link that leads to no file`
    : `a symbolic link to ${shown}, which does not exist`;
}
