// Writes the light front's code cache (bin/code-cache.js says what it is), run by the build in a node of its
// own without flags (V8 refuses a cache made under other flags):
//   node scripts/light-front-cache.cjs LIGHT_CJS PLAN STATE_DIR
// It compiles LIGHT_CJS once and runs that one script for each command line the light front serves most
// (help, status of a plan, status of every run), so the cache holds the bytecode of all their functions.
// STATE_DIR holds a journal of PLAN (scripts/light-front.mjs says why). Output goes nowhere: only the cache
// is wanted. A command line that does not end by itself, or fails, fails the build.
const { readFileSync } = require("node:fs");
const { compileForCodeCache, runCommonJs, writeCodeCache } = require("../bin/code-cache.js");

const [light, plan, stateDir] = process.argv.slice(2);
if (!light || !plan || !stateDir) {
  process.stderr.write("usage: node scripts/light-front-cache.cjs LIGHT_CJS PLAN STATE_DIR\n");
  process.exit(2);
}

const COMMAND_LINES = [["--help"], ["status", plan, "--state-dir", stateDir], ["status", "--state-dir", stateDir]];
/** Generous: each command line takes some 50 ms. */
const DEADLINE_MS = 60_000;

/** The light front says it has ended by setting process.exitCode (src/cli/main.ts); it never calls exit. */
function ended(args) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (process.exitCode !== undefined) resolve(clearInterval(poll));
      else if (Date.now() - started > DEADLINE_MS) {
        clearInterval(poll);
        reject(new Error(`light front: \`${args.join(" ")}\` did not end within ${DEADLINE_MS / 1000} s`));
      }
    }, 5);
  });
}

async function main() {
  // The light front's late-exit timer (src/cli/main.ts, 5 s) must not end this process before the cache is written.
  const exit = process.exit;
  process.exit = () => undefined;
  const text = readFileSync(light, "utf8");
  const script = compileForCodeCache(light, text);
  for (const args of COMMAND_LINES) {
    process.argv = [process.argv[0], light, ...args];
    process.exitCode = undefined;
    runCommonJs(script, light);
    await ended(args);
    // A status that failed (no journal of the plan in STATE_DIR) compiled other functions than a user's does.
    if (process.exitCode !== 0) throw new Error(`light front: \`${args.join(" ")}\` exited ${process.exitCode}`);
  }
  writeCodeCache(light, text, script);
  process.exit = exit;
  process.exitCode = 0;
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
