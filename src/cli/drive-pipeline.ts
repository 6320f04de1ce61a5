import { compensationLine } from "../render/compensation-line.js";
import { existsSync } from "node:fs";
import { liveHolder } from "../journal/lock-state.js";
import { holderText } from "../journal/lock-holder.js";
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { BadInputError, InterruptedError, errorMessage, forTerminal } from "../errors.js";
import { eventLine } from "../engine/event-wire.js";
import type { PipelineEvent } from "../engine/events.js";
import { runCompensations, runPipeline, type RunMode, type RunOutcome } from "../engine/runner.js";
import { inRunOrder } from "../engine/compensation-order.js";
import type { Pipeline } from "../engine/step.js";
import type { Host } from "../hosts/host.js";
import {
  commandPreview,
  leftoverChildren,
  recordChildrenIn,
  stopLeftoverChildren,
  type ChildRecord,
  type Leftover,
} from "../hosts/child-records.js";
import { Journal, type OpenJournalOptions } from "../journal/journal.js";
import { runLogAppender } from "../journal/run-log.js";
import { prepareStateDir, prepareWritableStateDir, stateDirWriteError } from "../journal/state-dir.js";
import { collectDryRun, renderDryRunMarkdown } from "../report/dry-run-report.js";
import { headlineFigures } from "../report/headline-figures.js";
import { guardRenderer } from "../render/guarded.js";
import type { Renderer } from "../render/renderer.js";
import { createRenderer, pickRenderer } from "./choose-renderer.js";
import { diagnostics } from "./diagnostics.js";
import { openDebugTrace, type DebugTrace } from "./debug-trace.js";
import { exitCodeFor, exitCodeForRun, stackChain } from "../exit-codes.js";
import { endStatusOf } from "../render/ndjson-end.js";
import { tracedHost } from "../hosts/traced-host.js";
import { rememberingReads } from "../hosts/dry-run-reads.js";
import { resolveInteractive } from "./interactive.js";
import { traceTiming } from "../hosts/timing-trace.js";
import { endLinesForStderr, stderrIsStdout } from "./end-on-stderr.js";

export interface DriveFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  format?: "md" | "json";
}

/**
 * Interactive, --yes or --dry-run: refuses a non-terminal run that could not answer its gates. `checkOnly`
 * names how this command only checks (host doctor has no --dry-run: without --enable-ksm it only reads).
 */
export function resolveRunMode(
  flags: DriveFlags,
  checkOnly = "--dry-run to only check",
  terminal = { stdout: Boolean(process.stdout.isTTY), stdin: Boolean(process.stdin.isTTY) },
  hasGates = true,
): RunMode {
  // A flag that needs --dry-run is the first thing to say: it tells what the user meant.
  if (flags.format && !flags.dryRun) throw new BadInputError("--format applies to --dry-run reports");
  const interactive = resolveInteractive(flags, process.env, terminal.stdout);
  // A pipeline none of whose steps asks (image clone) needs no --yes to run where no one could answer.
  if (!interactive && !flags.dryRun && !hasGates) return "yes";
  if (!interactive && !flags.yes && !flags.dryRun) {
    throw new BadInputError(
      `stdout is not a terminal, so gates cannot be confirmed: pass --yes to accept them, or ${checkOnly}`,
    );
  }
  // The TUI shows its gates, but no key can answer them: said now, not as a "declined at your request" after
  // connecting and checking both hosts (found by a new-user trial: `mudanza run PLAN < /dev/null`).
  if (interactive && !terminal.stdin)
    throw new BadInputError(
      `stdin is not a terminal, so gates cannot be confirmed: pass --yes to accept them, or ${checkOnly}`,
    );
  return flags.dryRun ? "dry-run" : interactive ? "interactive" : "yes";
}

export interface DriveOptions<Plan> {
  pipeline: Pipeline<Plan>;
  plan: Plan;
  mode: RunMode;
  flags: DriveFlags;
  stateDir: string;
  journal: Omit<OpenJournalOptions, "stateDir" | "readOnly">;
  /**
   * Fills the hosts record (connecting may fail half-way: whatever is in it gets closed); facts are the journal's.
   * The signal is the run's Ctrl-C / SIGTERM: a host that does not answer must not hold the run until its timeout.
   */
  connect(hosts: Record<string, Host>, facts: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<void>;
  resumeCommand: string;
  /** The command that starts over (--restart), when the command takes it: said when resuming cannot succeed. */
  restartCommand?: string;
  declinedHint?: (stepId: string) => string | undefined;
  /** The run's files and hosts are removed once it ends (the demo's lab): what its end says instead of how to resume. */
  insteadOfResuming?: (declinedStepId: string | undefined) => string;
  /** False when the command prints its own summary instead of the dry-run report. */
  printDryRunReport?: boolean;
  /** The command's own output lists the blockers with their fixes (default: when it prints no dry-run report). */
  reportListsBlockers?: boolean;
  /**
   * The journal a real run of this command would lock, when it is not its own (a rollback locks the migration's)
   * and what that run is called: a dry run says when another run holds it. Default: its own journal, a "run".
   */
  lockedJournal?: { path: string; command: string };
}

/**
 * The shared body of every pipeline command (`run PLAN`, `image ...`, `host doctor`): journal, signals,
 * renderer, NDJSON log, runPipeline, dry-run report, cleanup. Returns the outcome; the exit code is in it.
 */
export async function drivePipeline<Plan>(options: DriveOptions<Plan>): Promise<RunOutcome> {
  const { pipeline, mode, flags, stateDir } = options;
  // Its report is written in the state dir once the run has ended: one it cannot write there is found now, before
  // any event, not as exit 2 after the pipeline-end event said 0 (found by a new-user trial).
  if (mode === "dry-run" && flags.json && options.printDryRunReport !== false) await prepareWritableStateDir(stateDir);
  const journal = await Journal.open({ ...options.journal, stateDir, readOnly: mode === "dry-run" });
  if (journal.replacedCopy)
    process.stderr.write(
      `mudanza: --restart: this run starts a new journal; the earlier one is kept as ${journal.replacedCopy}\n`,
    );
  // keepReplaced: the user's --restart, not the fresh journal a rollback opens every time. A dry run writes no
  // journal: it checks as a restart would, and must not look as if it started over (found by a new-user trial).
  if (mode === "dry-run" && options.journal.keepReplaced && existsSync(journal.path))
    process.stderr.write(
      `mudanza: --restart with --dry-run: checked as a run that starts over would be; nothing started over and the journal ${journal.path} is unchanged (leave out --dry-run to start over)\n`,
    );
  // A real run now would be refused while another holds the journal: a dry run saying only "Ready" misled
  // (found by a new-user trial). It still checks: what it reads is what that run has done so far.
  const locked = options.lockedJournal ?? { path: journal.path, command: "run" };
  const holder = mode === "dry-run" ? liveHolder(locked.path) : null;
  if (holder)
    process.stderr.write(
      `mudanza: another mudanza run holds ${locked.path === journal.path ? "this journal" : `the journal ${locked.path}`} (${holderText(holder)}): a ${locked.command} now would be refused until it ends; this dry run checks the hosts as that run has left them so far\n`,
    );
  const hosts: Record<string, Host> = {};
  const controller = new AbortController();
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => controller.abort(new InterruptedError(signal));
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  const logPath = journal.path.replace(/\.journal\.json$/, ".log.ndjson");
  const appendLog = runLogAppender(logPath);
  const complain = (line: string): void => void process.stderr.write(line + "\n");
  let renderer: Renderer | undefined;
  let trace: DebugTrace | undefined;
  let outcome: RunOutcome | undefined;
  let flushing = Promise.resolve();
  const logLines: string[] = [];
  const runsBefore = journal.snapshot.runs.length;
  // --json: the dry-run report goes to a file beside the journal (stdout holds the events), named in the end event.
  const reportFile =
    mode === "dry-run" && flags.json && options.printDryRunReport !== false
      ? journal.path.replace(/\.journal\.json$/, `.dry-run.${flags.format === "json" ? "json" : "md"}`)
      : undefined;
  // What the end event carries beside the face's own fields: the files a CI job archives. A dry run writes its
  // report once its checks all answered (`checked`): not when interrupted, nor when a host was never reached.
  const endFiles = (checked: boolean) => ({
    ...(reportFile && checked ? { report: reportFile } : {}),
    ...(journal.replacedCopy ? { journalBeforeRestart: journal.replacedCopy } : {}),
  });
  let endOnStderr: string[] = [];
  try {
    // A dry run changes nothing: it says what the run will stop first.
    if (mode === "dry-run") reportLeftoversToStop(leftoverChildren(stateDir));
    else reportLeftovers(stopLeftoverChildren(stateDir));
    if (mode !== "dry-run") recordChildrenIn(stateDir);
    const choice = {
      mode,
      json: flags.json,
      dryRun: flags.dryRun,
      verbose: diagnostics().verbose,
      reportListsBlockers: options.reportListsBlockers ?? options.printDryRunReport === false,
      abort: (s: "SIGINT" | "SIGTERM", key?: string) => controller.abort(new InterruptedError(s, key)),
    };
    const onTui = pickRenderer(choice) === "tui";
    // --debug: on stderr, or in a file beside the journal while the TUI owns the terminal.
    if (diagnostics().debug)
      trace = await openDebugTrace(onTui ? journal.path.replace(/\.journal\.json$/, ".debug.log") : null);
    renderer = guardRenderer(await createRenderer(choice), complain);
    const plainFace = mode === "yes" && !onTui;
    const face = renderer;
    try {
      await options.connect(hosts, journal.snapshot.facts, controller.signal);
    } catch (error) {
      // One host unreachable (a VM that was killed) must not keep a killed run's compensation on another
      // (the source's database it stopped) from running: those of the hosts that answered run now.
      if (mode !== "dry-run" && journal.snapshot.compensations.length > 0)
        await runCompensations(journal, hosts, (event) => reportEarlyEvent(event, flags.json ? face : null, logLines), {
          onlyConnected: true,
          earlierRun: true,
          stepOrder: pipeline.steps.map((s) => s.id),
        }).then(({ unrecorded }) => unrecorded && complain(`mudanza: ${errorMessage(unrecorded)}`));
      // An interrupt, or a state dir refused before any host was reached, is not an unreachable host: no
      // advice about a host that may have come up wrong.
      const hint =
        mode === "dry-run" || error instanceof InterruptedError || error instanceof BadInputError
          ? undefined
          : pipeline.unreachableHint?.(Object.keys(hosts), (id) => journal.step(id).status);
      if (hint) complain(`mudanza: ${hint}`);
      // --json: a reader of the events learns why the run ended before it began, not only from the exit code.
      if (flags.json)
        face.sink({
          type: "pipeline-end",
          at: new Date().toISOString(),
          ...endStatusOf(error),
          message: errorMessage(error),
          exitCode: exitCodeFor(error),
          journal: journal.writtenPath,
          ...endFiles(false),
        });
      throw error;
    }
    const debugTrace = trace;
    if (debugTrace) for (const role of Object.keys(hosts)) hosts[role] = tracedHost(hosts[role]!, debugTrace.line);
    // Outside the trace: --debug shows what reached the host, not the answers given again.
    if (mode === "dry-run") for (const role of Object.keys(hosts)) hosts[role] = rememberingReads(hosts[role]!);
    const sink = (reported: PipelineEvent): void => {
      // The end carries the freeze window and downtime: the numbers the admin looks for first.
      const event: PipelineEvent =
        reported.type === "pipeline-end"
          ? {
              ...reported,
              ...headlineFigures(journal.snapshot.facts),
              exitCode: exitCodeForRun(reported),
              ...endFiles(reported.status !== "interrupted"),
            }
          : reported;
      if (event.type === "pipeline-end" && plainFace) endOnStderr = endLinesForStderr(event);
      face.sink(event);
      if (mode === "dry-run") return;
      logLines.push(eventLine(event));
      // One append takes every line queued so far; the appends queued behind it find nothing left (no blank line).
      flushing = flushing.then(() => appendLog(logLines.splice(0))).catch(() => undefined);
    };
    outcome = await runPipeline({
      pipeline,
      plan: options.plan,
      hosts,
      journal,
      mode,
      sink,
      confirm: face.confirm,
      signal: controller.signal,
      resumeCommand: options.resumeCommand,
      restartCommand: options.restartCommand,
      declinedHint: options.declinedHint,
      insteadOfResuming: options.insteadOfResuming,
      logPath: mode === "dry-run" ? undefined : logPath,
      onError: trace ? (stepId, error) => trace?.line(`${stepId} failed:\n${stackChain(error)}`) : undefined,
    });
    traceTiming(`pipeline ended (${outcome.status})`);
  } finally {
    if (mode !== "dry-run" && logLines.length > 0)
      flushing = flushing.then(() => appendLog(logLines.splice(0))).catch(() => undefined);
    // Every step here runs whatever happened above, each on its own: the display (bounded), the hosts, the
    // lock, then the report from what the journal and the log hold.
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    await renderer?.close();
    // After the face's last line: it ends what stdout said, not between its lines.
    if (endOnStderr.length > 0 && !stderrIsStdout()) complain(endOnStderr.join("\n"));
    await Promise.all(Object.values(hosts).map((h) => h.close().catch(() => undefined)));
    traceTiming("hosts closed");
    await journal.close().catch((error: Error) => complain(`mudanza: could not release the lock: ${error.message}`));
    recordChildrenIn(null);
    await flushing;
    if (trace?.path) complain(`mudanza: debug trace: ${trace.path}`);
    await trace?.close();
    if (journal.snapshot.runs.length > runsBefore) {
      // The run report (<state>/<id>.report.md) sums up the journal and the log; failing to write it must not hide the run's result.
      const { writeRunReport } = await import("../report/run-report.js");
      await writeRunReport(stateDir, journal.snapshot, logPath).catch((error: Error) =>
        complain(`mudanza: could not write the run report: ${error.message}`),
      );
    }
  }
  // Probes cut short say nothing true about the hosts: no report that reads as a finished one. Host doctor
  // and image info only check (no --dry-run) and print their own report: "the dry run" is not theirs.
  if (mode === "dry-run" && outcome.status === "interrupted")
    complain(
      options.printDryRunReport === false
        ? "mudanza: no report: not every check answered (run it again for one)"
        : "mudanza: the dry run was interrupted before every check answered: no report (run it again for one)",
    );
  else if (mode === "dry-run" && options.printDryRunReport !== false) {
    const skipped = Object.fromEntries(
      pipeline.steps.flatMap((s) => (outcome.probes[s.id] ? [] : [[s.id, outcome.skipped[s.id] ?? "not probed"]])),
    );
    const data = collectDryRun(
      pipeline as Pipeline<unknown>,
      Object.fromEntries(Object.entries(hosts).map(([r, h]) => [r, h.address])),
      outcome.probes,
      skipped,
      undefined,
      {
        earlierFacts: journal.snapshot.facts,
        checkpointsInPlan: hasCheckpointsSection(options.plan),
        planOptions: planOptionsOf(options.plan),
        // In the order a run does them (newest first), and as a later run does them.
        planPath: options.journal.planPath,
        pendingUndo: inRunOrder(journal.snapshot.compensations).map((c) => ({
          title: c.notInALaterRun ?? c.title,
          host: c.host,
        })),
      },
    );
    // Markdown escapes belong in a Markdown file; a report read on the terminal keeps its text as written.
    const onTerminal = !flags.json && Boolean(process.stdout.isTTY);
    const report =
      flags.format === "json"
        ? JSON.stringify(data, null, 2) + "\n"
        : renderDryRunMarkdown(data, onTerminal ? forTerminal : undefined) + "\n";
    if (flags.json) {
      // --json: stdout carries the NDJSON events and nothing else; the report goes to a file.
      const path = reportFile!;
      // A dry run creates nothing else; its report file needs the state dir (a first run has none yet).
      const dir = dirname(path);
      await prepareStateDir(dir, true);
      await writeFile(path, report, { mode: 0o600 }).catch((error: unknown) => {
        throw stateDirWriteError(dir, error);
      });
      complain(`mudanza: dry-run report: ${path}`);
    } else process.stdout.write(report);
    traceTiming("dry-run report written");
  }
  return outcome;
}

/** A plan's `options` (of any kind), for the dry-run report's freeze estimate. */
function planOptionsOf(plan: unknown): Record<string, unknown> | undefined {
  const options = (plan as { options?: unknown } | undefined)?.options;
  return typeof options === "object" && options !== null ? (options as Record<string, unknown>) : undefined;
}

/** A plan (of any kind) with a `checkpoints` section naming at least one side. */
function hasCheckpointsSection(plan: unknown): boolean {
  const section = (plan as { checkpoints?: unknown } | undefined)?.checkpoints;
  return typeof section === "object" && section !== null && Object.keys(section).length > 0;
}

/** Processes a killed earlier run left running, as a dry run finds them: the run stops them first. */
function reportLeftoversToStop(records: ChildRecord[]): void {
  for (const record of records)
    process.stderr.write(
      `mudanza: \`${commandPreview(record.command)}\` (pid ${record.child.pid}) is still running since ${record.since}, left by a run that was killed: the run stops it first (this dry run changed nothing)\n`,
    );
}

/** Processes a killed earlier run left running: stopped now; the user hears about it once. */
function reportLeftovers(leftovers: Leftover[]): void {
  for (const { record, stopped } of leftovers) {
    process.stderr.write(
      `mudanza: ${stopped ? "stopped" : "could not stop"} \`${commandPreview(record.command)}\` (pid ${record.child.pid}), left running since ${record.since} by a run that was killed\n`,
    );
  }
}

/**
 * An event from before the pipeline started (a compensation run while a host could not be reached): the
 * NDJSON face and the log get it as it is, every other face a line on stderr (they draw steps that do not exist yet).
 */
function reportEarlyEvent(event: PipelineEvent, ndjson: Renderer | null, logLines: string[]): void {
  logLines.push(eventLine(event));
  if (ndjson) ndjson.sink(event);
  else if (event.type === "compensation") process.stderr.write(`mudanza: ${compensationLine(event)}\n`);
}
