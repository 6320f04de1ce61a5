import type { JournalData } from "../journal/journal.js";

/** `mudanza status`: the timeline of a migration from its journal. */
export function renderStatus(journal: JournalData, currentPlanHash: string): string {
  const lines = [`Migration ${journal.migrationId} (${journal.kind}), plan ${journal.planPath}`];
  if (journal.planHash !== currentPlanHash) lines.push("WARNING: the plan file changed since this migration started");
  const last = journal.runs[journal.runs.length - 1];
  if (last) lines.push(`Last run: ${last.mode}, started ${last.startedAt}${last.outcome ? `, ${last.outcome}` : ", still running or killed"}`);
  lines.push("");
  for (const [id, step] of Object.entries(journal.steps)) {
    const duration = step.durationMs !== undefined ? ` ${(step.durationMs / 1000).toFixed(1)} s` : "";
    lines.push(`  ${step.status.padEnd(10)} ${id}${duration}${step.message ? `: ${step.message}` : ""}`);
  }
  const freeze = journal.facts["freezeWindowSec"];
  if (typeof freeze === "number") lines.push("", `Freeze window (databases stopped): ${freeze.toFixed(1)} s`);
  if (journal.compensations.length > 0) {
    lines.push("", "PENDING compensations (run first on the next run):");
    for (const c of journal.compensations) lines.push(`  on ${c.host}: ${c.title}: ${c.command}`);
  }
  return lines.join("\n");
}
