import type { Host } from "../hosts/host.js";
import type { Finding } from "./finding.js";
import type { ProgressInfo } from "./events.js";

/** A command a step would run, shown in dry-run reports and gate confirmations. */
export interface PlannedCommand {
  host: string;
  command: string;
  /** Why it runs, in a few words. */
  purpose?: string;
}

export interface ProbeResult {
  /** Already done: run is skipped, verify still runs. */
  satisfied: boolean;
  /** Why it is satisfied / skipped / needed, for humans. */
  reason?: string;
  commands: PlannedCommand[];
  findings: Finding[];
  /** Read-only facts gathered by the probe, shown in reports (and kept in the journal). */
  facts?: Record<string, unknown>;
  /** Extra lines a gate confirmation shows ("would delete 12 files on target"). */
  details?: string[];
}

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

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
}

export interface FactStore {
  get<T = unknown>(key: string): T | undefined;
  /** Saved in the journal at once. Never pass secrets: the journal refuses key material. */
  set(key: string, value: unknown): Promise<void>;
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
    clear(id: string): Promise<void>;
  };
  /** Aborted on SIGINT/SIGTERM: pass it to Host.exec so a step stops cleanly. */
  signal: AbortSignal;
}

export interface Step<Plan = unknown> {
  id: string;
  title: string;
  /** A gate: interactive runs ask first, --yes accepts, --dry-run never runs it. */
  destructive: boolean;
  /** Returns a reason to skip this step for this plan (e.g. "pre-update skipped by plan"). */
  skip?(ctx: StepContext<Plan>): string | undefined;
  probe(ctx: StepContext<Plan>): Promise<ProbeResult>;
  run(ctx: StepContext<Plan>, probe: ProbeResult): Promise<void>;
  verify(ctx: StepContext<Plan>): Promise<VerifyResult>;
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
}

export function verifyResult(checks: VerifyCheck[]): VerifyResult {
  return { ok: checks.every((c) => c.ok), checks };
}
