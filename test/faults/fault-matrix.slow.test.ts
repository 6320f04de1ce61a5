import { afterAll, describe, expect, it } from "vitest";
import { recorder } from "./matrix.js";
import { checkFinal, VSERVER_CASES } from "./vserver-cases.js";
import { vserverWorld } from "./vserver-world.js";

/**
 * The fault matrix on the real CLI (issue 11): each row of VSERVER_CASES breaks one run of
 * `mudanza run --yes` migrating a VServer guest on this machine, then runs again and compares with an
 * uninterrupted run. Needs root (mounts, sshd); the table of results is printed at the end.
 */
const isRoot = process.getuid?.() === 0;
/**
 * A row is up to three runs of the CLI (the shared baseline, the broken run, the re-run); one over ssh took
 * 142 s with the lab's QEMU beside it. None of them checks speed.
 */
const ROW_TIMEOUT = 600_000;
const rows = recorder();
/** What an uninterrupted run leaves, per size of the guest's data file (computed once each). */
const baselines = new Map<number | undefined, Promise<Record<string, string>>>();
function baselineFor(dataBytes: number | undefined): Promise<Record<string, string>> {
  if (!baselines.has(dataBytes)) {
    baselines.set(
      dataBytes,
      (async () => {
        const w = await vserverWorld({ transport: "local", dataBytes });
        try {
          const run = await w.run().done;
          expect(run.code, run.output.slice(-3000)).toBe(0);
          return await w.finalState();
        } finally {
          await w.close();
        }
      })(),
    );
  }
  return baselines.get(dataBytes)!;
}

describe.skipIf(!isRoot)("fault matrix: vserver-to-openvz through the CLI", () => {
  afterAll(() => rows.report());

  it.each(VSERVER_CASES.map((c) => [`${c.point}: ${c.injected} (${c.setup})`, c] as const))(
    "%s",
    async (_name, row) => {
      await rows.timed(row, async () => {
        const w = await vserverWorld(row.world);
        try {
          await row.arrange?.(w);
          const first = w.run();
          const injected = row.inject?.(first, w);
          const ended = await first.done;
          await injected;
          if (row.firstExit === "killed") expect(ended.signal, ended.output.slice(-2000)).toBe("SIGKILL");
          else expect(ended.code, ended.output.slice(-3000)).toBe(row.firstExit);
          if (row.firstSays) expect(ended.output).toMatch(row.firstSays);
          // no source left stopped when the CLI exits (a SIGKILL leaves that to the re-run's compensations)
          if (row.guestRunsAfterFirst !== false)
            expect(await w.has("guest-running"), "the guest was left stopped").toBe(true);
          await row.fix?.(w);
          const rerun = await w.run().done;
          await checkFinal(w, await baselineFor(row.world.dataBytes), rerun);
          row.rerunChecks?.(rerun.output);
        } finally {
          await w.close();
        }
      });
    },
    ROW_TIMEOUT,
  );
});
