import { describe, expect, it } from "vitest";
import {
  dryRunRows,
  finalPassCommand,
  freezeBreakdown,
  freezePartRows,
  freezeParts,
  freezeRows,
} from "../../bench/lab/rows.js";
import type { SyncPassRecord } from "../../src/steps/openvz-to-kvm/sync.js";

const output = (line: string, stepId = "db-freeze") => ({ type: "output", stepId, host: "source", line });

describe("lab bench rows", () => {
  it("takes db-freeze's final pass command whole, past the parentheses of its compare mode", () => {
    const command =
      "if ! ( : >> /root/.mudanza-migrate/rsync.lock ); then exit 75; fi; exec rsync -aHAXS / root@198.18.1.1:/";
    const events = [
      output("live pass 2 (quick check (size and mtime)): rsync --live", "rsync"),
      output("final pass 3 (quick check (size and mtime)): rsync --elsewhere", "rsync"),
      output("freeze window: 4.2 s"),
      output(`final pass 3 (quick check (size and mtime)): ${command}`),
    ];
    expect(finalPassCommand(events)).toBe(command);
    expect(finalPassCommand([output("final pass 1 (content compared (--checksum)): rsync -c")])).toBe("rsync -c");
    expect(() => finalPassCommand([output("freeze window: 4.2 s")])).toThrow(/no final pass/);
    // A short final pass prints no whole-tree command: the live passes' quick check is the same one.
    expect(
      finalPassCommand([
        output("live pass 1 (content compared (--checksum)): rsync -c", "rsync"),
        output("live pass 2 (quick check (size and mtime)): rsync --live", "rsync"),
        output("final pass 3, the changed paths: rsync --files-from=x"),
      ]),
    ).toBe("rsync --live");
  });

  it("sets the tool's window against the medians of the recipe and the floor, with the issue's targets", () => {
    const [recipe, floor] = freezeRows(6, [10, 12, 30], [4, 5, 6]);
    expect(recipe).toMatchObject({ value: 6, baseline: 12, ratio: 0.5, target: 0.5, runs: 3 });
    expect(recipe!.spread).toEqual([0.2, 0.6]);
    expect(floor).toMatchObject({ value: 6, baseline: 5, ratio: 1.2, target: 1.2 });
    expect(floor!.spread).toEqual([1, 1.5]);
  });

  it("puts the dry run beside the 3 s budget and beside the round trips of the same rounds", () => {
    const [budget, trips] = dryRunRows([2400, 3600, 3000], [600, 1200, 1000]);
    expect(budget).toMatchObject({ value: 3000, baseline: 3000, ratio: 1, target: 1 });
    expect(trips).toMatchObject({ value: 3000, baseline: 1000, ratio: 3 });
    expect(trips!.target).toBeUndefined();
    expect(trips!.spread).toEqual([3, 4]);
  });

  it("splits the freeze window at db-freeze's own timestamps, and says when one is missing", () => {
    const at = (sec: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString();
    const record = {
      units: ["mariadb.service"],
      leftStoppedOnSource: false,
      stoppedAt: at(0),
      allStoppedAt: at(2),
      thawStartedAt: at(19),
      startedOnSourceAt: at(22),
    };
    const whole: SyncPassRecord = {
      pass: 5,
      kind: "final",
      code: 0,
      vanished: false,
      seconds: 13.9,
      transferredBytes: 0,
      deletedFiles: 0,
      files: 9,
      at: at(16),
    };
    expect(freezeBreakdown(freezeParts(record, at(16), whole))).toBe(
      "stop 2.0 s, final pass (whole tree) 13.9 s, rest of the final pass 0.1 s, to the thaw 3.0 s, start 3.0 s",
    );
    expect(freezeBreakdown(freezeParts({ ...record, startedOnSourceAt: undefined }, at(16), whole))).toMatch(
      /start \?$/,
    );
  });

  it("splits a short final pass into its list and rsyncs, and gives each part a row beside the window", () => {
    const at = (sec: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString();
    const record = { units: ["mariadb.service"], leftStoppedOnSource: false, stoppedAt: at(0), allStoppedAt: at(1) };
    const short: SyncPassRecord = {
      pass: 5,
      kind: "final",
      code: 0,
      vanished: false,
      seconds: 4,
      transferredBytes: 0,
      deletedFiles: 0,
      files: 9,
      at: at(6),
      scope: "changed",
      parts: [
        { what: "list changed paths", seconds: 0.5 },
        { what: "rsync database directories", seconds: 3 },
        { what: "rsync changed paths", seconds: 1 },
      ],
    };
    const parts = freezeParts({ ...record, thawStartedAt: at(6), startedOnSourceAt: at(8) }, at(6), short);
    expect(freezeBreakdown(parts)).toBe(
      "stop 1.0 s, list changed paths 0.5 s, rsync database directories 3.0 s, rsync changed paths 1.0 s, rest of the final pass 0.5 s, to the thaw 0.0 s, start 2.0 s",
    );
    const rows = freezePartRows(8, parts);
    expect(rows.map((r) => r.value)).toEqual([1, 0.5, 3, 1, 0.5, 0, 2]);
    expect(rows[2]).toMatchObject({ baseline: 8, ratio: 3 / 8, benchmark: "lab-freeze" });
    expect(rows.every((r) => r.target === undefined)).toBe(true);
    // A part whose timestamp is missing gets no row.
    expect(freezePartRows(8, freezeParts(record, at(6), short))).toHaveLength(5);
  });
});
