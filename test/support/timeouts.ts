/**
 * For tests against real servers (sshd, rsync over ssh): a budget far above what they take on an idle
 * machine, so a CI machine busy with the lab's QEMU beside them is slower, never failed. None of these
 * tests checks speed; the benchmarks do (`npm run bench`).
 */
export const REAL_HOST_TEST_TIMEOUT = 180_000;

/**
 * For tests that start the CLI as a process several times (each start compiles the sources through tsx,
 * seconds apiece on a busy machine): far above the few seconds they take on an idle one.
 */
export const CLI_PROCESS_TEST_TIMEOUT = 180_000;
