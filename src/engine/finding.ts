import type { Finding } from "./events.js";

/** One thing a probe found, leapp-style: blockers (leapp: inhibitors) stop the run before anything changes. */
export type { Finding } from "./events.js";

/** The id of the blocker the runner makes of a probe that threw: the check could not answer. */
export const CANNOT_CHECK = "cannot-check";

export const blocker = (title: string, summary: string, remediation?: string, host?: string): Finding => ({
  title,
  summary,
  severity: "error",
  blocks: true,
  remediation,
  host,
});

/** A blocker that can be wrong by design (a size, a detected service): a plan may acknowledge it by `id`. */
export const acknowledgeable = (id: string, finding: Finding): Finding => ({ ...finding, id });

export interface Acknowledgement {
  id: string;
  reason: string;
}

/** Blockers the plan acknowledged become warnings that carry the plan's reason; every other finding is unchanged. */
export function applyAcknowledgements(findings: Finding[], acknowledged: Acknowledgement[]): Finding[] {
  const reasons = new Map(acknowledged.map((a) => [a.id, a.reason]));
  return findings.map((f) => {
    const reason = f.blocks && f.id ? reasons.get(f.id) : undefined;
    return reason === undefined ? f : { ...f, blocks: false, severity: "warning", acknowledged: reason };
  });
}

export const warning = (title: string, summary: string, remediation?: string, host?: string): Finding => ({
  title,
  summary,
  severity: "warning",
  blocks: false,
  remediation,
  host,
});
