import type { PlannedProbe, VerifyResult } from "./step.js";

/** What a run says of a step an earlier run did, whose verify passes again: it skips the step. */
export const DONE_EARLIER = "done in an earlier run; verified again";

/**
 * A dry run's probe of a step the journal has done and would run again, once its verify passed again: shown as
 * the run will treat it, skipped. So no commands, and none of its probe's findings, which the run never sees (the copy's "Cutover
 * already done" blocked a dry run after a finished cutover while the run passed); its facts stay for the report.
 */
export function doneEarlier(probe: PlannedProbe<unknown> | undefined, verify: VerifyResult): PlannedProbe<unknown> {
  return {
    satisfied: true,
    reason: DONE_EARLIER,
    plan: probe?.plan,
    commands: [],
    findings: [],
    ...(probe?.facts ? { facts: probe.facts } : {}),
    details: verify.checks.map((c) => `checked again: ${c.name}${c.detail ? ` (${c.detail})` : ""}`),
  };
}
