/** One thing a probe found, leapp-style: blockers stop the run before anything changes. */
export interface Finding {
  title: string;
  summary: string;
  severity: "info" | "warning" | "error";
  /** True for a blocker (leapp: inhibitor). */
  blocks: boolean;
  /** A hint or the exact command that fixes it. */
  remediation?: string;
  host?: string;
}

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
