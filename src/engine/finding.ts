import type { Finding } from "./events.js";

/** One thing a probe found, leapp-style: blockers (leapp: inhibitors) stop the run before anything changes. */
export type { Finding } from "./events.js";

export const blocker = (title: string, summary: string, remediation?: string, host?: string): Finding => ({
  title,
  summary,
  severity: "error",
  blocks: true,
  remediation,
  host,
});

export const warning = (title: string, summary: string, remediation?: string, host?: string): Finding => ({
  title,
  summary,
  severity: "warning",
  blocks: false,
  remediation,
  host,
});
