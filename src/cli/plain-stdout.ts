import { fstatSync, writeSync } from "node:fs";
import { stdoutWriteFailed } from "./stdout-failure.js";

/** /dev/null's device number (major 1, minor 3) as fstat reports it on Linux. */
const DEV_NULL = (1 << 8) | 3;

let plain: boolean | undefined;
/** A reader gone away (EPIPE) or a failed write (stdout-failure.ts): nothing more is written. */
let dropped = false;
let allowed = false;

/**
 * The CLI's entry (main.ts) allows writing around process.stdout; without it (the tests' in-process runs, which
 * capture process.stdout.write) everything goes through process.stdout.
 */
export function allowPlainStdout(): void {
  allowed = true;
}

/**
 * Whether stdout is a file, a pipe, a socket or /dev/null: no terminal, so nothing needs process.stdout's
 * stream (a width, colours). Making that stream loads node's stream modules, and for a pipe its net module:
 * about 7 million instructions (valgrind) of a `status` or `--help` start, whose whole output is one write.
 */
export function stdoutIsPlain(): boolean {
  if (!allowed) return false;
  if (plain === undefined) {
    try {
      const stat = fstatSync(1);
      plain = !stat.isCharacterDevice() || stat.rdev === DEV_NULL;
    } catch {
      plain = false;
    }
  }
  return plain;
}

/**
 * Writes text to stdout: to a terminal through process.stdout, to anything else with writeSync, in order with
 * process.stdout's writes (which are synchronous on Linux for files and pipes). A reader gone away (EPIPE,
 * `mudanza status | head -1`) drops the rest, as survivePipeClosing does for the stream; any other failure
 * (a full disk) drops it too, said once (stdout-failure.ts); a non-blocking pipe that is full (EAGAIN) is waited for.
 */
export function writeStdout(text: string): void {
  if (!stdoutIsPlain()) {
    process.stdout.write(text);
    return;
  }
  if (dropped) return;
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      dropped = true;
      if (code !== "EPIPE") stdoutWriteFailed(error as NodeJS.ErrnoException);
      return;
    }
  }
}
