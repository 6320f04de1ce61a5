import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * `npm run test:quick` (MUDANZA_TEST_QUICK=1): the files of a worker share its module cache instead of importing
 * the sources again each (isolation cost ~45% of the quick suite's CPU), and one worker more than cores, since
 * the CLI tests spend much of their time waiting on child processes. `npm test` (CI) keeps every file isolated.
 */
const quick = process.env.MUDANZA_TEST_QUICK === "1";

/**
 * `npm test`: at least two workers. vitest's default (cores - 1) is one on a 2-core machine, so the lab file
 * (~40 minutes, mostly waiting on its QEMU VM and container) ran alone and every other file waited for it.
 * Only the lab file starts the lab (one per machine, /run/mudanza-lab.lock); the other slow files use their
 * own free ports and temporary folders. The cold run of the README's test command: 57.3 → 48.5 minutes.
 */
const fullRunWorkers = Math.max(2, availableParallelism() - 1);

// Slow tests (real sshd, real QEMU lab) are tagged by file name `*.slow.test.ts` so `npm run test:quick`
// skips them; `npm test` runs everything.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // A hang detector, not a speed check: a busy CI machine (the lab's QEMU beside two workers) is slower.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: "forks",
    ...(quick ? { isolate: false, maxWorkers: availableParallelism() + 1 } : { maxWorkers: fullRunWorkers }),
    globalSetup: ["test/support/global-tmpdir.ts", "test/support/source-build.ts"],
    // bin/mudanza.js in a checkout runs dist/ when built: tests run the sources instead, never a stale build.
    env: { MUDANZA_FROM_SOURCE: "1" },
  },
});
