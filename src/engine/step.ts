import type { Host } from "../hosts/host.js";
import type { FactDef } from "./facts.js";
import type { Acknowledgement, Finding } from "./finding.js";
import type { PlannedCommand, ProgressInfo, StepStatus, VerifyCheck } from "./events.js";

export type { PlannedCommand, VerifyCheck } from "./events.js";

/** How a planned file write is shown: the scripted host records the same path, so a test can match them. */
export const writeFileCommand = (path: string, note?: string): string => `(write ${path}${note ? `, ${note}` : ""})`;
export const isFileWrite = (command: string): boolean => command.startsWith("(write ");

/** What a probe found, as the runner, the gate and the reports show it. */
export interface ProbeResult {
  /** Already done: run is skipped, verify still runs. */
  satisfied: boolean;
  /** Why it is satisfied / skipped / needed, for humans. */
  reason?: string;
  /** Derived from the plan by `Step.commands`: what `run` would do, in order. */
  commands: PlannedCommand[];
  findings: Finding[];
  /** Read-only facts gathered by the probe, shown in reports (and kept in the journal). */
  facts?: Record<string, unknown>;
  /** Extra lines a gate confirmation shows ("would delete 12 files on target"). */
  details?: string[];
}

/**
 * What a step author's probe answers: whether the step is needed, what blocks it, and the plan `run`
 * applies. It never lists commands itself: they are derived from the plan (`commands(plan)`), so what
 * the dry-run and the gate show is what `run` is given.
 */
export type Probed<P> = Omit<ProbeResult, "commands"> & { plan: P };

/** A step's probe as the runner receives it: the author's answer plus the commands derived from its plan. */
export type PlannedProbe<P> = ProbeResult & { plan: P };

export interface VerifyResult {
  ok: boolean;
  checks: VerifyCheck[];
}

/** A compensation is data (host + command) so the engine can run it after a crash without the step's code. */
export interface Compensation {
  id: string;
  title: string;
  host: string;
  command: string;
  registeredBy: string;
  /**
   * Said, and the command not run, when a later run finds this pending (the run that registered it was killed):
   * for an undo whose guard sees only what this run knows, when other runs may have built on the change since.
   */
  notInALaterRun?: string;
  /**
   * Run, it undoes the work of the step that registered it, not only what that step left around (a guest
   * started again after its final pass, not a key removed): the next run redoes that step and every later one,
   * whatever their verify would find by then.
   */
  undoesStep?: boolean;
}

export interface FactStore {
  /** The fact's value from the journal, validated against its declaration (FactShapeError if it does not fit). */
  get<T>(fact: FactDef<T>): T | undefined;
  /** Validated, then saved in the journal at once. Never pass secrets: the journal refuses key material. */
  set<T>(fact: FactDef<T>, value: T): Promise<void>;
  all(): Record<string, unknown>;
}

export interface StepContext<Plan = unknown> {
  plan: Plan;
  hosts: Record<string, Host>;
  host(role: string): Host;
  facts: FactStore;
  /** Streams a line of output to renderers (and the log). */
  output(host: string, line: string, stream?: "stdout" | "stderr"): void;
  progress(info: ProgressInfo): void;
  compensations: {
    register(compensation: Omit<Compensation, "registeredBy">): Promise<void>;
    /**
     * Drops these compensations in one journal write: either all of them stay pending or none does (a cutover
     * that cleared "stop the new one" but not "start the old one" would start the old one beside the new).
     */
    clear(...ids: string[]): Promise<void>;
    /**
     * Read-only: an earlier run's undo still pending, oldest first; never this run's own. A real run has run them
     * before any probe (none then); a dry run has not, so a probe can tell what the run's start will undo.
     */
    pending(): readonly Compensation[];
  };
  /** Aborted on SIGINT/SIGTERM: pass it to Host.exec so a step stops cleanly. */
  signal: AbortSignal;
  /**
   * The plan an earlier step's probe returned in this run (preflight probes every step before any runs:
   * a later probe reads what an earlier one found instead of gathering it again). Undefined if it was not
   * probed in this run.
   */
  probedPlan<P>(step: Pick<Step<never, P>, "id" | "commands">): P | undefined;
}

/** What a step author writes; `defineStep` turns it into a Step. */
export interface StepSpec<Options, P> {
  id: string;
  title: string;
  /** A gate: interactive runs ask first, --yes accepts, --dry-run never runs it. */
  destructive: boolean;
  /**
   * What the step changes on a host although it does not ask first (destructive: false), in a few words: the
   * dry-run report's risk summary lists it beside the steps that ask. Absent: the step only reads, or asks.
   */
  changesWithoutAsking?: string;
  /** Returns a reason to skip this step for this plan (e.g. "pre-update skipped by plan"). */
  skip?(ctx: StepContext<Options>): string | undefined;
  /**
   * What makes `verify` too slow for a dry run (it boots a libguestfs appliance): a dry run then shows a step an
   * earlier run did as its probe sees it, instead of checking it as the run does. Absent: verify only reads, quickly.
   */
  slowVerify?: string;
  /** Read-only: is the step needed, what blocks it, and the plan `run` would apply. */
  probe(ctx: StepContext<Options>): Promise<Probed<P>>;
  /** The commands shown for a plan, in the order `run` runs them (one function, so they cannot drift). */
  commands(plan: P): PlannedCommand[];
  /** Applies exactly `plan`: no re-reading of what decides which commands run. */
  run(ctx: StepContext<Options>, plan: P): Promise<void>;
  verify(ctx: StepContext<Options>): Promise<VerifyResult>;
}

/**
 * A step generic over its plan. Methods (not function properties) on purpose: a pipeline lists steps
 * with different plans as `Step<Options>`, which needs the plan parameter to be bivariant.
 */
export interface Step<Options = unknown, P = unknown> {
  id: string;
  title: string;
  destructive: boolean;
  changesWithoutAsking?: string;
  skip?(ctx: StepContext<Options>): string | undefined;
  slowVerify?: string;
  probe(ctx: StepContext<Options>): Promise<PlannedProbe<P>>;
  commands(plan: P): PlannedCommand[];
  run(ctx: StepContext<Options>, plan: P): Promise<void>;
  verify(ctx: StepContext<Options>): Promise<VerifyResult>;
}

export function defineStep<Options, P>(spec: StepSpec<Options, P>): Step<Options, P> {
  return {
    ...spec,
    async probe(ctx) {
      const probed = await spec.probe(ctx);
      return { ...probed, commands: spec.commands(probed.plan) };
    },
  };
}

export interface Pipeline<Plan = unknown> {
  kind: string;
  title: string;
  steps: Array<Step<Plan>>;
  /**
   * Host keys a host may present when a run resumes, from facts earlier steps verified and journaled
   * (after the copy, the target presents the source's keys). Roles not listed connect as the plan says.
   */
  expectedHostKeys?(facts: Record<string, unknown>): Partial<Record<string, string[]>>;
  /** Blockers the plan acknowledged by id, with its reasons (options.acknowledge): they no longer block. */
  acknowledged?: Acknowledgement[];
  /**
   * When a resumed run cannot connect every host: what the journal's step states say about why, and what
   * to do (the copy left the target with the source's network configuration, so a reboot since cut it off).
   */
  unreachableHint?(connected: string[], stepStatus: (stepId: string) => StepStatus): string | undefined;
  /**
   * When a real run stops before its end (declined, failed, blocked, interrupted): what it has left half done
   * that its end must say (a rollback that returned one host to its checkpoint and not the other).
   */
  leftPartWay?(): string | undefined;
}

export function verifyResult(checks: VerifyCheck[]): VerifyResult {
  return { ok: checks.every((c) => c.ok), checks };
}
