import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { BadInputError, fileErrorText, nameForTerminal, unreadableText } from "../errors.js";
import { sha256Hex } from "../journal/sha256.js";

/** A plan is a few hundred bytes; anything past this is the wrong file (and must not be read whole). */
export const MAX_PLAN_BYTES = 1024 * 1024;

/** A run reads its plan again to resume (the journal keeps its path and a hash of its text): a pipe cannot be. */
const SAVE_IT_FIRST = "save the plan to a file first: a run reads its plan again to resume";

/**
 * Reads a regular file of at most MAX_PLAN_BYTES; a fifo or a device is refused without blocking on it.
 * Synchronous calls (the plan is small): `status` then starts without the thread pool and node:fs/promises.
 */
export async function readPlanText(absolute: string, given: string): Promise<string> {
  const shown = nameForTerminal(given);
  let fd: number;
  try {
    fd = openSync(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    // What /dev/stdin opens to when it is a socket (node's and many tools' "pipes" are socket pairs).
    if ((error as NodeJS.ErrnoException).code === "ENXIO")
      throw new BadInputError(`plan ${shown} is not a regular file (a socket or device: ${SAVE_IT_FIRST})`);
    const unreadable = unreadableText(error);
    if (unreadable) throw new BadInputError(`cannot read plan ${shown}: ${unreadable}`);
    throw new BadInputError(`cannot read plan ${shown}: ${fileErrorText(error)}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile())
      throw new BadInputError(
        `plan ${shown} is not a regular file (${stats.isDirectory() ? "a directory" : stats.isFIFO() ? `a pipe or fifo: ${SAVE_IT_FIRST}` : "a device or socket"})`,
      );
    // not zero-filled: only the bytes read are used
    const buffer = Buffer.allocUnsafe(MAX_PLAN_BYTES + 1);
    const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_PLAN_BYTES) throw new BadInputError(`plan ${shown} is larger than 1 MiB: that is not a plan`);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** What the journal records of the plan text a run accepted (`planTextHash`). */
export const planTextHash = (text: string): string => sha256Hex(text);
