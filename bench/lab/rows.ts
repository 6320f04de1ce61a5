import type { DatabaseFact } from "../../src/steps/openvz-to-kvm/facts.js";
import { describeCompare, type SyncPassRecord } from "../../src/steps/openvz-to-kvm/sync.js";
import type { CliEvent } from "../../test/lab/support/run-cli.js";
import { median, pairedRow } from "../measure.js";
import type { BenchRow } from "../types.js";

/** The issue's targets: the freeze window at most half the two-pass recipe's and 1.2x a no-change scan. */
export const FREEZE_TARGETS = { recipe: 0.5, floor: 1.2 } as const;
/** The issue's budget for a dry run of the two-host plan on the lab. */
export const DRY_RUN_BUDGET_MS = 3000;

/**
 * The rsync command of db-freeze's final pass, as the pipeline printed it ("final pass N (how it
 * compares): COMMAND"): the baselines run exactly this command on the same hosts.
 */
export function finalPassCommand(events: CliEvent[]): string {
  // db-freeze's whole-tree pass when it ran one; after a short final pass, the live passes' quick check (the same command).
  const sources = [
    { kind: "final", stepId: "db-freeze", modes: ["quick-check", "checksum"] },
    { kind: "live", stepId: "rsync", modes: ["quick-check"] },
  ] as const;
  for (const { kind, stepId, modes } of sources)
    for (const event of events) {
      if (event.type !== "output" || event.stepId !== stepId || typeof event.line !== "string") continue;
      for (const mode of modes) {
        const label = ` (${describeCompare(mode)}): `;
        const at = event.line.indexOf(label);
        if (at > 0 && new RegExp(`^${kind} pass \\d+$`).test(event.line.slice(0, at)))
          return event.line.slice(at + label.length);
      }
    }
  throw new Error("db-freeze printed no final pass command, and the copy no live quick-check pass");
}

const spreadOf = (ratios: number[]): [number, number] => [Math.min(...ratios), Math.max(...ratios)];

/**
 * The tool's one freeze window (db-freeze's freezeWindowSec) against the medians of the two baselines
 * measured right after it on the same lab; the range is the window over each baseline round.
 */
export function freezeRows(toolSec: number, recipeSec: number[], floorSec: number[]): BenchRow[] {
  const row = (baselineLabel: string, baseline: number[], target: number): BenchRow => ({
    benchmark: "lab-freeze",
    case: "freeze window (db-freeze), writer inserting",
    unit: "s",
    value: toolSec,
    baselineLabel,
    baseline: median(baseline),
    ratio: toolSec / median(baseline),
    spread: spreadOf(baseline.map((b) => toolSec / b)),
    target,
    runs: baseline.length,
    samples: { value: [toolSec], baseline },
  });
  return [
    row("two-pass recipe: stop, full pass, start", recipeSec, FREEZE_TARGETS.recipe),
    row("floor: no-change scan", floorSec, FREEZE_TARGETS.floor),
  ];
}

const DRY_RUN_CASE = { benchmark: "lab-dry-run", case: "mudanza run PLAN --dry-run (two hosts)", unit: "ms" };

/** The dry run against the issue's 3 s budget, and against one SSH round trip to each host in the same rounds. */
export function dryRunRows(dryRunMs: number[], roundTripsMs: number[]): BenchRow[] {
  const base = { ...DRY_RUN_CASE, value: median(dryRunMs), runs: dryRunMs.length };
  return [
    {
      ...base,
      baselineLabel: "3 s budget",
      baseline: DRY_RUN_BUDGET_MS,
      ratio: median(dryRunMs) / DRY_RUN_BUDGET_MS,
      spread: spreadOf(dryRunMs.map((d) => d / DRY_RUN_BUDGET_MS)),
      target: 1,
      samples: { value: dryRunMs, baseline: [DRY_RUN_BUDGET_MS] },
    },
    pairedRow(
      { ...DRY_RUN_CASE, baselineLabel: "ssh true to each host", runs: dryRunMs.length },
      dryRunMs,
      roundTripsMs,
    ),
  ];
}

/** The dry run against another build's (MUDANZA_BENCH_BASELINE_CLI), paired round by round. */
export function dryRunBuildRow(dryRunMs: number[], otherBuildMs: number[], otherCli: string): BenchRow {
  return pairedRow(
    { ...DRY_RUN_CASE, baselineLabel: `the build of ${otherCli}`, runs: dryRunMs.length },
    dryRunMs,
    otherBuildMs,
  );
}

/** One part of the freeze window; seconds undefined when a timestamp it needs was not recorded. */
export interface FreezePart {
  what: string;
  seconds: number | undefined;
}

/**
 * Where the tool's freeze window went, from db-freeze's own timestamps and the final pass's parts: the stop
 * (with its check); the final pass, part by part when it recorded them (the short pass: the list of changed
 * paths, each rsync), and the rest until its end (the journal's writes, the freeze mark); from there to the
 * thaw (the check that nothing started); and the start.
 */
export function freezeParts(
  record: DatabaseFact,
  finalSyncAt: string | undefined,
  finalPass?: SyncPassRecord,
): FreezePart[] {
  const span = (from: string | undefined, to: string | undefined): number | undefined =>
    from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : undefined;
  const passParts =
    finalPass?.parts ?? (finalPass ? [{ what: "final pass (whole tree)", seconds: finalPass.seconds }] : []);
  const toPassEnd = span(record.allStoppedAt, finalSyncAt);
  const inParts = passParts.reduce((sum, p) => sum + p.seconds, 0);
  return [
    { what: "stop", seconds: span(record.stoppedAt, record.allStoppedAt) },
    ...passParts,
    {
      what: passParts.length > 0 ? "rest of the final pass" : "to the final pass's end",
      seconds: toPassEnd === undefined ? undefined : Math.max(0, toPassEnd - inParts),
    },
    { what: "to the thaw", seconds: span(finalSyncAt, record.thawStartedAt) },
    { what: "start", seconds: span(record.thawStartedAt, record.startedOnSourceAt) },
  ];
}

/** The parts as one log line. */
export function freezeBreakdown(parts: FreezePart[]): string {
  return parts.map((p) => `${p.what} ${p.seconds === undefined ? "?" : `${p.seconds.toFixed(1)} s`}`).join(", ");
}

/** The parts as rows beside the window they add up to (no target: they say where the seconds go). */
export function freezePartRows(toolSec: number, parts: FreezePart[]): BenchRow[] {
  return parts
    .filter((p): p is { what: string; seconds: number } => p.seconds !== undefined)
    .map((p) => ({
      benchmark: "lab-freeze",
      case: `  part of the window: ${p.what}`,
      unit: "s",
      value: Math.round(p.seconds * 10) / 10,
      baselineLabel: "the freeze window",
      baseline: toolSec,
      ratio: p.seconds / toolSec,
      runs: 1,
    }));
}
