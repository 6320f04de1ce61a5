#!/usr/bin/env node
import { survivePipeClosingOnceOpened } from "./closed-pipe.js";
import { allowPlainStdout } from "./plain-stdout.js";
import { main } from "./program.js";
import { exitCodeAfterStdout } from "./stdout-failure.js";

survivePipeClosingOnceOpened(process, "stdout");
survivePipeClosingOnceOpened(process, "stderr");
allowPlainStdout();

// No top-level await: the light front (scripts/light-front.mjs) bundles this file as CommonJS.
void main(process.argv.slice(2)).then((result) => {
  const code = exitCodeAfterStdout(result);
  process.exitCode = code;
  // Everything is journaled and closed by now; a socket some library failed to release must not keep a
  // finished run (and the script waiting for it) hanging. The timer is unref'd: a clean exit never waits.
  setTimeout(() => {
    process.stderr.write("mudanza: a connection did not close after the run ended; exiting anyway\n");
    process.exit(code);
  }, 5000).unref();
});
