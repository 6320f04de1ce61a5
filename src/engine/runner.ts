import { inRunOrder } from "./compensation-order.js";
import {
  InterruptedError,
  ResumeRepeatsFailureError,
  StateDirWriteError,
  StepFailedError,
  errorMessage,
} from "../errors.js";
import type { Host } from "../hosts/host.js";
import type { Journal, StepRecord } from "../journal/journal.js";
import { redactSecrets } from "../journal/secrets.js";
import type { EventSink, PipelineEvent, RunMode, RunStatus, StepStatus } from "./events.js";
import { checkedFact, readFact } from "./facts.js";
import { restartNotes } from "./host-restarts.js";
import { DONE_EARLIER, doneEarlier } from "./done-earlier.js";
import { undoKeptAll, undoOutcome } from "./undo-outcome.js";
import { traceTiming } from "../hosts/timing-trace.js";
import { applyAcknowledgements, CANNOT_CHECK, type Acknowledgement, type Finding } from "./finding.js";
import type {
  Compensation,
  FactStore,
  Pipeline,
  PlannedCommand,
  PlannedProbe,
  ProbeResult,
  Step,
  StepContext,
  VerifyResult,
} from "./step.js";

export type { RunMode } from "./events.js";

export interface GatePrompt {
  stepId: string;
  title: string;
  commands: PlannedCommand[];
  details: string[];
}

export interface RunOptions<Plan> {
  pipeline: Pipeline<Plan>;
  plan: Plan;
  hosts: Record<string, Host>;
  journal: Journal;
  mode: RunMode;
  sink: EventSink;
  /** Asked before each gate in interactive mode; resolves true to go on. */
  confirm?: (prompt: GatePrompt) => Promise<boolean>;
  signal?: AbortSignal;
  /** Shown to the user when the run stops: the exact command that resumes it. */
  resumeCommand?: string;
  /**
   * The command that starts the run over (--restart), shown instead of resumeCommand when a step's failure
   * says resuming would only repeat it (ResumeRepeatsFailureError); absent when the command takes no --restart.
   */
  restartCommand?: string;
  logPath?: string;
  /** What to tell the admin who declined this step's gate (e.g. the plan option that skips it). */
  declinedHint?: (stepId: string) => string | undefined;
  /**
   * The run's plan, journal, log and hosts are removed once it ends (the demo's lab): its end names none of them
   * and, instead of how to resume, says this (given the step whose gate was declined, if one was).
   */
  insteadOfResuming?: (declinedStepId: string | undefined) => string;
  /** --debug: a step's or probe's error, whole (with its stack), before it becomes a one-line message. */
  onError?: (stepId: string, error: Error) => void;
}

export interface RunOutcome {
  status: RunStatus;
  /** The signal that interrupted the run (status "interrupted"); the CLI maps status and signal to an exit code. */
  signal?: "SIGINT" | "SIGTERM";
  message?: string;
  /** The failed step said resuming would only repeat its failure: the run must start over. */
  resumeRepeatsFailure?: boolean;
  probes: Record<string, ProbeResult>;
  /** Steps the plan skips, with the reason, as the preflight found them. */
  skipped: Record<string, string>;
  findings: Finding[];
}

const now = (): string => new Date().toISOString();

/**
 * Runs a pipeline: pending compensations first, then every probe (blockers stop before anything changes),
 * then each step in order (gate, run, verify), journaling after every state change. Done steps from an
 * earlier run are re-verified and skipped; a failed step is never skipped.
 */
export async function runPipeline<Plan>(options: RunOptions<Plan>): Promise<RunOutcome> {
  const { pipeline, journal, mode, sink } = options;
  const signal = options.signal ?? new AbortController().signal;
  const emit = (event: PipelineEvent): void => sink(event);
  const stepIds = pipeline.steps.map((s) => s.id);
  const probes: Record<string, ProbeResult> = {};
  // The plan of each step's latest probe: run gets exactly it; later probes may read an earlier one's.
  const plans = new Map<string, unknown>();
  const findings: Finding[] = [];
  const skipped: Record<string, string> = {};
  let currentStep = pipeline.steps[0]?.id ?? "";

  const facts: FactStore = {
    get: (fact) => readFact(journal.snapshot.facts, fact),
    set: (fact, value) => journal.setFact(fact.key, checkedFact(fact, value)),
    all: () => ({ ...journal.snapshot.facts }),
  };
  const leftByEarlierRun = new Set(journal.snapshot.compensations.map((c) => c.id));
  const ctx: StepContext<Plan> = {
    plan: options.plan,
    hosts: options.hosts,
    host(role) {
      const host = options.hosts[role];
      if (!host) throw new Error(`this pipeline has no host called "${role}"`);
      return host;
    },
    facts,
    output: (host, line, stream = "stdout") =>
      emit({ type: "output", at: now(), stepId: currentStep, host, stream, line }),
    progress: (progress) => emit({ type: "progress", at: now(), stepId: currentStep, progress }),
    compensations: {
      register: (c) => journal.addCompensation({ ...c, registeredBy: currentStep }),
      clear: (...ids) => journal.removeCompensations(ids),
      // An earlier run's, not this run's own: what it found at its start and has not run (a dry run runs none).
      pending: () => journal.snapshot.compensations.filter((c) => leftByEarlierRun.has(c.id)),
    },
    signal,
    probedPlan: <P>(step: Pick<Step<never, P>, "id">) => plans.get(step.id) as P | undefined,
  };

  /**
   * The first journal write that failed (a full or read-only state dir): the run stops as at a failed step,
   * its compensations still run, and it ends failed with that error, whatever it reached (Ctrl-C aside).
   */
  let unsaved: StateDirWriteError | undefined;
  const keepUnsaved = (error: unknown): void => {
    if (!(error instanceof StateDirWriteError)) throw error;
    unsaved ??= error;
  };
  /** runCompensations, every one of them even when the journal cannot record them. */
  const compensate = async (earlierRun = false): Promise<CompensationsOutcome> => {
    const outcome = await runCompensations(journal, options.hosts, emit, { earlierRun, stepOrder: stepIds });
    if (outcome.unrecorded) keepUnsaved(outcome.unrecorded);
    return outcome;
  };
  const orUnsaved = (
    outcome: Omit<RunOutcome, "probes" | "findings" | "skipped">,
  ): Omit<RunOutcome, "probes" | "findings" | "skipped"> =>
    unsaved && outcome.status !== "interrupted"
      ? {
          status: "failed",
          message: outcome.message?.includes(unsaved.message)
            ? outcome.message
            : [outcome.message, unsaved.message].filter(Boolean).join("\n"),
          resumeRepeatsFailure: outcome.resumeRepeatsFailure,
        }
      : outcome;

  /** A stopped real run's message with what the pipeline says it left half done. */
  const withPartWay = (
    outcome: Omit<RunOutcome, "probes" | "findings" | "skipped">,
  ): Omit<RunOutcome, "probes" | "findings" | "skipped"> => {
    if (mode === "dry-run" || outcome.status === "done") return outcome;
    const partWay = pipeline.leftPartWay?.();
    return partWay ? { ...outcome, message: [outcome.message, partWay].filter(Boolean).join("\n") } : outcome;
  };

  const end = async (
    reached: Omit<RunOutcome, "probes" | "findings" | "skipped">,
    declinedStepId?: string,
  ): Promise<RunOutcome> => {
    // The run's end is in the journal before anything says the run ended, or the run failed to record it.
    if (mode !== "dry-run") await journal.endRun(orUnsaved(reached).status).catch(keepUnsaved);
    const outcome = withPartWay(orUnsaved(reached));
    const stopped = outcome.status !== "done" && outcome.status !== "dry-run";
    const runAgain = stopped && outcome.status !== "blocked";
    const startOver = runAgain && outcome.resumeRepeatsFailure === true;
    // Files about to be removed are not named, nor is a command that would resume from them.
    const removed = options.insteadOfResuming !== undefined;
    emit({
      type: "pipeline-end",
      at: now(),
      status: outcome.status,
      signal: outcome.signal,
      message: outcome.message,
      resumeCommand: runAgain && !startOver && !removed ? options.resumeCommand : undefined,
      resumeRepeatsFailure: startOver || undefined,
      restartCommand: startOver && !removed ? options.restartCommand : undefined,
      insteadOfResuming: runAgain ? options.insteadOfResuming?.(declinedStepId) : undefined,
      journal: removed ? undefined : journal.writtenPath,
      log: removed ? undefined : options.logPath,
    });
    return { ...outcome, probes, skipped, findings };
  };

  // The run is in the journal before anything says where the journal is.
  // One it cannot record stops the run below, once pending compensations had their turn.
  if (mode !== "dry-run") await journal.startRun(mode).catch(keepUnsaved);
  emit({
    type: "pipeline-start",
    at: now(),
    kind: pipeline.kind,
    title: pipeline.title,
    hosts: Object.fromEntries(Object.entries(options.hosts).map(([role, host]) => [role, host.address])),
    mode,
    resumed: journal.resumed,
    steps: pipeline.steps.map((s) => ({
      id: s.id,
      title: s.title,
      destructive: s.destructive,
      status: journal.step(s.id).status,
    })),
    journal: journal.writtenPath,
  });

  // A crash or kill may have left compensations pending (a stopped database): they run before anything else.
  if (mode !== "dry-run" && journal.snapshot.compensations.length > 0) {
    const { ok, failed } = await compensate(true);
    if (!ok) return end({ status: "failed", message: pendingCompensationFailure(journal, failed) });
  }
  // Done now in a real run: an id this run registers again is its own.
  if (mode !== "dry-run") leftByEarlierRun.clear();
  if (unsaved) return end({ status: "failed" });

  // Preflight: every probe of every step not already done; any blocker stops before anything changes.
  // A dry run starts them all at once (its hosts answer repeated reads from memory, and reads asked
  // together can travel together); what they report still comes in step order, as below.
  // A real run verifies a done step and skips it: a dry run checks it so too, and shows it done when it passes. Not
  // with an earlier run's undo pending: the run does that first, which may undo the step's work (a freeze's
  // stopped databases started again), and a dry run undoes nothing; the probe says what the run will find.
  // Nor where the verify is too slow for a dry run (step.slowVerify).
  const verifyDone = (step: Step<Plan>): boolean =>
    mode === "dry-run" &&
    !step.slowVerify &&
    journal.step(step.id).status === "done" &&
    journal.snapshot.compensations.length === 0;
  const early =
    mode === "dry-run" ? startProbes(pipeline, ctx, emit, pipeline.acknowledged ?? [], verifyDone) : undefined;
  for (const step of pipeline.steps) {
    currentStep = step.id;
    const skipReason = step.skip?.(ctx);
    if (skipReason) {
      skipped[step.id] = skipReason;
      continue;
    }
    if (mode !== "dry-run" && journal.step(step.id).status === "done") continue;
    const probed =
      (await early?.get(step.id)?.settle()) ??
      (await probeStep(step, ctx, emit, pipeline.acknowledged ?? [], verifyDone(step)));
    if (early) traceTiming(`probe ${step.id} settled`);
    // Nothing a probe said after Ctrl-C is shown or kept: below, the run ends as interrupted.
    if (signal.aborted) break;
    if (probed instanceof Error) options.onError?.(step.id, probed);
    // A probe that cannot answer is a blocker: nothing may change on a guess, and a dry-run goes on probing.
    const probe: ProbeResult =
      probed instanceof Error
        ? {
            satisfied: false,
            commands: [],
            findings: [
              {
                id: CANNOT_CHECK,
                title: `cannot check ${step.id}`,
                summary: probed.message,
                severity: "error",
                blocks: true,
                // An error that knows its fix (a host without systemd) says it, as a probe's blocker does.
                remediation:
                  "remediation" in probed && typeof probed.remediation === "string" ? probed.remediation : undefined,
              },
            ],
          }
        : withoutPlan(probed);
    probes[step.id] = probe;
    // Every face hears of it as of any blocker (a report read only on stderr must not miss it).
    if (probed instanceof Error)
      emit({
        type: "step-probed",
        at: now(),
        stepId: step.id,
        satisfied: false,
        commands: [],
        findings: probe.findings,
      });
    if (!(probed instanceof Error)) plans.set(step.id, probed.plan);
    findings.push(...probe.findings);
  }
  if (signal.aborted) {
    const interrupted = interruption(signal);
    return end({
      status: "interrupted",
      signal: interrupted.signal === "SIGTERM" ? "SIGTERM" : "SIGINT",
      message: `${interrupted.message} while checking the hosts (the checks change nothing)`,
    });
  }
  const blockers = findings.filter((f) => f.blocks);
  if (blockers.length > 0) {
    for (const [id, probe] of Object.entries(probes)) {
      const own = probe.findings.filter((f) => f.blocks);
      if (own.length > 0)
        emit({
          type: "step-end",
          at: now(),
          stepId: id,
          status: "blocked",
          durationMs: 0,
          message: own.map((f) => f.title).join("; "),
        });
    }
    return end({ status: "blocked", message: blockers.map((b) => `${b.title}: ${b.summary}`).join("\n") });
  }
  if (mode === "dry-run") return end({ status: "dry-run" });

  for (const [index, step] of pipeline.steps.entries()) {
    currentStep = step.id;
    const started = Date.now();
    // The time the admin spent reading the gate is not the step's: durations count only the work.
    let gateWaitMs = 0;
    /** The step's record before this attempt, and whether its run began: an interrupt before that changed nothing. */
    let before: StepRecord | undefined;
    let ran = false;
    /** `unsaved`: how to take a failure to record it (the step's end is told either way); by default it throws. */
    const finish = async (
      status: StepStatus,
      message?: string,
      verify?: VerifyResult,
      unsaved?: (error: unknown) => void,
    ): Promise<void> => {
      const durationMs = Date.now() - started - gateWaitMs;
      const saving = journal.updateStep(step.id, {
        status,
        endedAt: now(),
        durationMs,
        message,
        checks: verify?.checks,
      });
      await (unsaved ? saving.catch(unsaved) : saving);
      emit({ type: "step-end", at: now(), stepId: step.id, status, durationMs, message, checks: verify?.checks });
    };

    try {
      if (signal.aborted) throw interruption(signal);
      const skipReason = step.skip?.(ctx);
      if (skipReason) {
        await finish("skipped", skipReason);
        continue;
      }
      if (journal.step(step.id).status === "done") {
        emit({ type: "step-start", at: now(), stepId: step.id, phase: "verify" });
        const verify = await step.verify(ctx);
        // A check cut short by Ctrl-C failed for that alone: the step's work is not undone, so it stays done.
        if (signal.aborted) throw interruption(signal);
        if (verify.ok) {
          emit({
            type: "step-end",
            at: now(),
            stepId: step.id,
            status: "skipped",
            durationMs: Date.now() - started,
            message: DONE_EARLIER,
            checks: verify.checks,
          });
          continue;
        }
        // Its work was undone since: redo it and everything after it.
        await journal.resetFrom(stepIds.slice(index), step.id);
      }

      before = journal.step(step.id);
      await journal.updateStep(step.id, {
        status: "running",
        startedAt: now(),
        attempts: journal.step(step.id).attempts + 1,
      });
      const probe = await probeStep(step, ctx, emit, pipeline.acknowledged ?? []);
      if (probe instanceof Error) throw probe;
      probes[step.id] = withoutPlan(probe);
      plans.set(step.id, probe.plan);
      const stepBlockers = probe.findings.filter((f) => f.blocks);
      if (stepBlockers.length > 0) {
        await finish("blocked", stepBlockers.map((f) => `${f.title}: ${f.summary}`).join("; "), undefined, keepUnsaved);
        await compensate();
        return end({ status: "blocked", message: stepBlockers.map((b) => `${b.title}: ${b.summary}`).join("\n") });
      }

      if (!probe.satisfied) {
        // Ctrl-C while the probe ran: nothing of this step may start, whatever the gate would say.
        if (signal.aborted) throw interruption(signal);
        if (step.destructive) {
          const prompt: GatePrompt = {
            stepId: step.id,
            title: step.title,
            commands: probe.commands,
            details: probe.details ?? [],
          };
          emit({ type: "prompt", at: now(), ...prompt });
          const askedAt = Date.now();
          const accepted = mode === "yes" ? true : await askGate(options.confirm, prompt, signal);
          gateWaitMs = Date.now() - askedAt;
          emit({
            type: "prompt-answer",
            at: now(),
            stepId: step.id,
            accepted,
            by: mode === "yes" ? "yes-flag" : "user",
          });
          if (!accepted) {
            await journal
              .updateStep(step.id, { status: "pending", message: "declined at the gate" })
              .catch(keepUnsaved);
            emit({
              type: "step-end",
              at: now(),
              stepId: step.id,
              status: "pending",
              durationMs: Date.now() - started - gateWaitMs,
              message: "declined at the gate",
            });
            await compensate();
            const hint = options.declinedHint?.(step.id);
            return end(
              {
                status: "declined",
                message: `stopped before "${step.title}" at your request; nothing in that step ran${hint ? `\n${hint}` : ""}`,
              },
              step.id,
            );
          }
        }
        if (signal.aborted) throw interruption(signal); // Ctrl-C came with (or just after) the answer
        emit({ type: "step-start", at: now(), stepId: step.id, phase: "run" });
        ran = true;
        await step.run(ctx, probe.plan);
        if (signal.aborted) throw interruption(signal);
      }

      emit({ type: "step-start", at: now(), stepId: step.id, phase: "verify" });
      const verify = await step.verify(ctx);
      if (!verify.ok) {
        const failed = verify.checks.filter((c) => !c.ok).map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ""}`);
        throw new StepFailedError(step.id, `verification failed: ${failed.join("; ")}`);
      }
      await finish("done", probe.satisfied ? (probe.reason ?? "already satisfied") : undefined, verify);
    } catch (error) {
      if (error instanceof StateDirWriteError) unsaved ??= error;
      const interrupted = signal.aborted ? interruption(signal) : null;
      let message = interrupted ? interrupted.message : errorMessage(error);
      // A host rebooted under the step (its error then is a lost connection, or rsync's exit 255): say so first.
      if (!interrupted) {
        const notes = await restartNotes(options.hosts, step.id, started).catch(() => []);
        if (notes.length > 0) message = `${notes.join("; ")}; ${message}`;
      }
      options.onError?.(step.id, error instanceof Error ? error : new Error(String(error)));
      if (interrupted && !ran) {
        // Ctrl-C in its probe or at its gate: nothing of the step ran this time, so it stays as the journal had
        // it. A pending step says why it did not run; a failed or killed one keeps its own record, which tells
        // of changes an earlier attempt may have made part-way.
        const fresh = (before?.status ?? "pending") === "pending";
        const stepMessage = `${message} before it ran: nothing in that step ran${fresh ? "" : " this time"}`;
        if (before)
          await journal.restoreStep(step.id, fresh ? { ...before, message: stepMessage } : before).catch(keepUnsaved);
        const status = journal.step(step.id).status;
        emit({ type: "step-end", at: now(), stepId: step.id, status, durationMs: 0, message: stepMessage });
      } else await finish("failed", message, undefined, keepUnsaved);
      // Whatever the journal could record: what the run changed on a host is undone as on any failure.
      await compensate();
      if (interrupted)
        return end({ status: "interrupted", signal: interrupted.signal === "SIGTERM" ? "SIGTERM" : "SIGINT", message });
      return end({
        status: "failed",
        message: `${step.title}: ${message}`,
        resumeRepeatsFailure: error instanceof ResumeRepeatsFailureError || undefined,
      });
    }
  }
  return end({ status: "done" });
}

/** What reports and the outcome keep: a plan may hold what the journal never may (a network file's secret). */
function withoutPlan({ plan: _plan, ...rest }: PlannedProbe<unknown>): ProbeResult {
  return rest;
}

interface EarlyProbe {
  /** Its events, in order, once no earlier probe's plan it read was missing; undefined when it must probe again. */
  settle(): Promise<PlannedProbe<unknown> | Error | undefined>;
}

/**
 * Every probe the preflight will ask for (not skipped), started together, each with its events held back and
 * its output under its own step id. A probe that read the plan of an earlier probe still running
 * (ctx.probedPlan) saw undefined where one after the other it would see that plan: settle() then answers
 * undefined and the caller probes it again, in order, after the earlier ones (so does one that read such a
 * probe's plan).
 */
function startProbes<Plan>(
  pipeline: Pipeline<Plan>,
  ctx: StepContext<Plan>,
  emit: (e: PipelineEvent) => void,
  acknowledged: Acknowledgement[],
  verifyDone: (step: Step<Plan>) => boolean,
): Map<string, EarlyProbe> {
  const running = new Set<string>();
  // Those that read a plan too early: their own plan may be wrong too, so who reads it must probe again as well.
  const unsure = new Set<string>();
  const plans = new Map<string, unknown>();
  const started = new Map<string, EarlyProbe>();
  for (const step of pipeline.steps) {
    if (step.skip?.(ctx)) continue;
    const held: PipelineEvent[] = [];
    let readTooEarly = false;
    const stepCtx: StepContext<Plan> = {
      ...ctx,
      output: (host, line, stream = "stdout") =>
        held.push({ type: "output", at: now(), stepId: step.id, host, stream, line }),
      progress: (progress) => held.push({ type: "progress", at: now(), stepId: step.id, progress }),
      probedPlan: <P>(earlier: Pick<Step<never, P>, "id">) => {
        if (running.has(earlier.id) || unsure.has(earlier.id)) readTooEarly = true;
        return plans.get(earlier.id) as P | undefined;
      },
    };
    running.add(step.id);
    const probing = probeStep(step, stepCtx, (event) => held.push(event), acknowledged, verifyDone(step)).then(
      (probed) => {
        traceTiming(`probe ${step.id} done${readTooEarly ? " (read a plan too early: probes again)" : ""}`);
        running.delete(step.id);
        if (readTooEarly) unsure.add(step.id);
        if (!(probed instanceof Error)) plans.set(step.id, probed.plan);
        return probed;
      },
    );
    started.set(step.id, {
      async settle() {
        const probed = await probing;
        if (readTooEarly) return undefined;
        for (const event of held) emit(event);
        return probed;
      },
    });
  }
  return started;
}

/**
 * A step's probe, and its events. `verifyDone`: a dry run's step the journal has done, checked as the run checks
 * it (its verify); when that passes, it is shown as the run will treat it, done (doneEarlier).
 */
async function probeStep<Plan>(
  step: Step<Plan>,
  ctx: StepContext<Plan>,
  emit: (e: PipelineEvent) => void,
  acknowledged: Acknowledgement[],
  verifyDone = false,
): Promise<PlannedProbe<unknown> | Error> {
  emit({ type: "step-start", at: now(), stepId: step.id, phase: "probe" });
  try {
    const raw = await step
      .probe(ctx)
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    // A command Ctrl-C cut short answers like a failed one (code -1): a probe reads it as "missing" or "not
    // installed" (found by a new-user trial). An interrupt is never a finding: the probe is the interrupt.
    if (ctx.signal.aborted) return interruption(ctx.signal);
    // A probe that says itself that nothing is to do (the inventory's "an earlier run read the guest") stands;
    // a verify that throws is no pass, and the probe's answer stands too.
    const saysDone = !(raw instanceof Error) && raw.satisfied;
    const verified = verifyDone && !saysDone ? await step.verify(ctx).catch(() => undefined) : undefined;
    if (ctx.signal.aborted) return interruption(ctx.signal);
    let probe: PlannedProbe<unknown>;
    if (verified?.ok) probe = doneEarlier(raw instanceof Error ? undefined : raw, verified);
    else if (raw instanceof Error) return raw;
    // Acknowledged here, once: the events, reports and the blocker check all see the plan's decision.
    else probe = { ...raw, findings: applyAcknowledgements(raw.findings, acknowledged) };
    emit({
      type: "step-probed",
      at: now(),
      stepId: step.id,
      satisfied: probe.satisfied,
      reason: probe.reason,
      commands: probe.commands,
      findings: probe.findings,
      details: probe.details,
    });
    return probe;
  } catch (error) {
    if (ctx.signal.aborted) return interruption(ctx.signal);
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function askGate(
  confirm: RunOptions<unknown>["confirm"],
  prompt: GatePrompt,
  signal: AbortSignal,
): Promise<boolean> {
  // q and Ctrl-C at a gate are the same interrupt: an abort before the question, or one that comes with a
  // "no" (the TUI's q aborts and answers no), is never recorded as a declined gate.
  if (signal.aborted) throw interruption(signal);
  if (!confirm) return false; // no way to ask: the default answer is no
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = (): void => reject(interruption(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    confirm(prompt).then(
      (answer) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) reject(interruption(signal));
        else resolve(answer);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A compensation that failed in this run, and why (the journal may not have been able to record it). */
export interface FailedCompensation {
  compensation: Compensation;
  message: string;
}

export interface CompensationsOutcome {
  /** Every compensation ran and succeeded (none left pending untried either). */
  ok: boolean;
  failed: FailedCompensation[];
  /** The first journal write that failed: what it did not record stays pending for the next run. */
  unrecorded?: unknown;
}

/**
 * Runs pending compensations newest first; a failed one stays in the journal and is reported. With
 * `onlyConnected`, those of hosts missing from `hosts` are left pending untouched (not tried, not failed).
 * With `earlierRun` (they were left by a run that was killed), one marked `notInALaterRun` is not run: its
 * note is reported as its outcome, marked notRun, and it is dropped.
 * A journal that cannot record them (a full state dir) stops none of them: the outcome carries the first
 * such error, and what ran and failed is known from the outcome, not from the journal.
 */
export async function runCompensations(
  journal: Journal,
  hosts: Record<string, Host>,
  emit: (e: PipelineEvent) => void,
  options: {
    onlyConnected?: boolean;
    earlierRun?: boolean;
    /** The pipeline's step ids in order: a done step whose undo ran is then pending again, with those after it. */
    stepOrder?: readonly string[];
  } = {},
): Promise<CompensationsOutcome> {
  const outcome: CompensationsOutcome = { ok: true, failed: [] };
  const record = (saving: Promise<void>): Promise<void> =>
    saving.catch((error: unknown) => {
      outcome.unrecorded ??= error;
    });
  for (const compensation of inRunOrder(journal.snapshot.compensations)) {
    const host = hosts[compensation.host];
    if (!host && options.onlyConnected) {
      outcome.ok = false;
      continue;
    }
    let ok = false;
    let message: string | undefined;
    let said: string | undefined;
    let notRun = false;
    let kept = false;
    try {
      if (!host) throw new Error(`no host "${compensation.host}" in this run`);
      if (options.earlierRun && compensation.notInALaterRun !== undefined) {
        // Nothing failed, but nothing was undone either: the log says so, not "done".
        ok = true;
        notRun = true;
        said = compensation.notInALaterRun;
      } else {
        // Never aborted by the run's signal: this is what makes an interrupted run safe.
        const result = await host.exec(compensation.command, { timeoutMs: 300_000 });
        ok = result.code === 0;
        said = undoOutcome(result.stdout);
        kept = ok && undoKeptAll(result.stdout);
        if (!ok)
          message = `exit ${result.code}: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ")}`;
      }
    } catch (error) {
      message = errorMessage(error);
    }
    const outcomeField = {
      ...(said === undefined ? {} : { outcome: said }),
      ...(notRun ? { notRun } : {}),
      ...(kept ? { kept } : {}),
      ...(options.earlierRun ? { earlierRun: true } : {}),
    };
    emit({
      type: "compensation",
      at: now(),
      id: compensation.id,
      title: compensation.title,
      host: compensation.host,
      ok,
      message,
      ...outcomeField,
    });
    if (ok) {
      await record(
        journal.removeCompensation(compensation.id, {
          ok,
          title: compensation.title,
          registeredBy: compensation.registeredBy,
          ...outcomeField,
        }),
      );
      // Its step's work undone: the next run redoes it and every done step after it, as after a failed verify,
      // whatever that verify finds by then (a VServer guest started by this undo and stopped again by hand passed
      // the final pass's verify, its writes never copied). A failed step keeps its record (status says where).
      const order = options.stepOrder ?? [];
      if (compensation.undoesStep && !notRun && !kept && journal.step(compensation.registeredBy).status === "done")
        await record(journal.pendingAgainFrom([...order], compensation.registeredBy));
    } else {
      outcome.ok = false;
      outcome.failed.push({ compensation, message: message ?? "failed" });
      await record(journal.logCompensationFailure(compensation.id, compensation.title, message ?? "failed"));
    }
  }
  return outcome;
}

/**
 * What failed again of an earlier run's pending compensations, and the way out: they run before anything else
 * on every run (--restart keeps them too, they undo real changes), so one that can never succeed needs a hand.
 */
export function pendingCompensationFailure(journal: Journal, failed: readonly FailedCompensation[]): string {
  const failures = failed.map(
    ({ compensation: c, message }) =>
      `"${c.title}" on the ${c.host} (\`${redactSecrets(c.command)}\`): ${redactSecrets(message)}`,
  );
  return (
    `${failures.length} pending compensation(s) from an earlier run failed again: ${failures.join("; ")}. ` +
    `They run first on every run, --restart included. Fix what makes them fail and run again; if one can no longer ` +
    `run (its host was reinstalled), do by hand what it does, then remove the journal ${journal.path} to start over`
  );
}

function interruption(signal: AbortSignal): InterruptedError {
  const reason: unknown = signal.reason;
  return reason instanceof InterruptedError ? reason : new InterruptedError("SIGINT");
}
