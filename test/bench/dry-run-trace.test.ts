import { describe, expect, it } from "vitest";
import { dryRunTraceRows, milestones, parseDryRunTrace, slowestCommands } from "../../bench/lab/dry-run-trace.js";

// Lines of a traced dry run on the lab (MUDANZA_TRACE=1), shortened: other kinds of lines are skipped.
const TRACE = `trace    496 ms plan loaded: connecting to source and target
trace    898 ms source: connected in 305 ms
trace   1286 ms source: batch of 1: 387 ms round trip, 70 ms on the host
trace   1287 ms source:     70 ms id -u
trace   1287 ms source: ready (root checked) 694 ms after connecting began
trace   2957 ms target: batch of 1: 1123 ms round trip, 80 ms on the host
trace   2957 ms target:     80 ms id -u
trace   2957 ms target: ready (root checked) 2362 ms after connecting began
trace   2962 ms probe checkpoint-before-update done
trace   3044 ms source: batch of 5: 81 ms round trip, 80 ms on the host
trace   6707 ms target: batch of 18: 3322 ms round trip, 2470 ms on the host
trace   6708 ms target:    210 ms systemd-detect-virt
trace   7817 ms source: session 384 ms: du -sx -B1 /
trace   9145 ms target: session 1712 ms: du -sx -B1 /
trace   9147 ms pipeline ended (dry-run)
trace   9215 ms hosts closed
`;

describe("the lab dry run's trace parts", () => {
  it("sums each host's batches and sessions and takes its connection time", () => {
    const trace = parseDryRunTrace(TRACE);
    expect(trace.endedMs).toBe(9147);
    expect(trace.hosts.get("target")).toEqual({
      readyMs: 2362,
      commandsMs: 2550,
      batches: 2,
      commands: 19,
      sessionsMs: 1712,
      sessions: 1,
    });
    expect(trace.hosts.get("source")).toMatchObject({ readyMs: 694, commandsMs: 150, commands: 6, sessionsMs: 384 });
    // a command's own line ("target:     80 ms id -u") is not a batch
    expect([...trace.hosts.keys()].sort()).toEqual(["source", "target"]);
  });

  it("shows each part against the run's length, and nothing for a run that did not end", () => {
    const rows = dryRunTraceRows(parseDryRunTrace(TRACE));
    const target = rows.filter((r) => r.case.includes("target:"));
    expect(target.map((r) => [r.value, r.baseline])).toEqual([
      [2362, 9147],
      [2550, 9147],
      [1712, 9147],
    ]);
    expect(target[1]!.case).toContain("19 commands in 2 batches");
    expect(target[1]!.ratio).toBeCloseTo(2550 / 9147);
    expect(dryRunTraceRows(parseDryRunTrace(TRACE.replace("pipeline ended", "pipeline stopped")))).toEqual([]);
  });

  it("lists each host's slowest commands, batched or on a session of their own, slowest first", () => {
    expect(slowestCommands(TRACE, 2)).toEqual([
      "source:   384 ms (own session) du -sx -B1 /",
      "source:    70 ms id -u",
      "target:  1712 ms (own session) du -sx -B1 /",
      "target:   210 ms systemd-detect-virt",
    ]);
  });

  it("lists the run's own milestones, not the hosts' lines", () => {
    expect(milestones(TRACE)).toEqual([
      "   496 ms plan loaded: connecting to source and target",
      "  2962 ms probe checkpoint-before-update done",
      "  9147 ms pipeline ended (dry-run)",
      "  9215 ms hosts closed",
    ]);
  });
});
