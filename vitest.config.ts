import { defineConfig } from "vitest/config";

// Slow tests (real sshd, real QEMU lab) are tagged by file name `*.slow.test.ts` so `npm run test:quick`
// skips them; `npm test` runs everything.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // A hang detector, not a speed check: a busy CI machine (the lab's QEMU beside two workers) is slower.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/support/global-tmpdir.ts", "test/support/source-build.ts"],
    // bin/mudanza.js in a checkout runs dist/ when built: tests run the sources instead, never a stale build.
    env: { MUDANZA_FROM_SOURCE: "1" },
  },
});
