import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inRunOrder } from "../engine/compensation-order.js";
import type { JournalData } from "../journal/journal.js";
import { formatDuration } from "../render/format.js";
import { readLogEvents } from "./log-events.js";
import { code, plain, table } from "./markdown.js";
import { checksAfterReboot, summarizeRun, type RunSummary } from "./run-summary.js";
import { wordsFor } from "./kind-words.js";
import { restoredPackagesSection } from "./restored-packages.js";
import { exitCodeForRun } from "../exit-codes.js";
import { runAgainAdvice } from "../render/run-again-advice.js";

export const reportPathFor = (stateDir: string, migrationId: string): string =>
  join(stateDir, `${migrationId}.report.md`);

const duration = (ms: number | undefined): string => (ms === undefined ? "" : formatDuration(ms));

/** The report written to the state dir after every run: timeline, freeze window, checks, warnings. */
export function renderRunReportMarkdown(s: RunSummary): string {
  const words = wordsFor(s.kind);
  const out: string[] = [`# ${words.noun} ${plain(s.migrationId)}: ${plain(s.title ?? s.kind)}`, ""];
  out.push(`Plan ${code(s.planPath)}, kind ${code(s.kind)}.`);
  for (const [role, address] of Object.entries(s.hosts)) out.push(`- **${role}**: ${code(address)}`);
  out.push("");
  const last = s.runs[s.runs.length - 1];
  if (s.lastEnd) {
    out.push(
      `**Result: ${s.lastEnd.status}** (exit ${exitCodeForRun(s.lastEnd)}) at ${s.lastEnd.at}.${s.lastEnd.message ? ` ${plain(s.lastEnd.message.replace(/\n/g, "; "))}` : ""}`,
    );
    const advice = runAgainAdvice(s.lastEnd);
    if (advice) out.push("", advice.command ? `${advice.lead}: ${code(advice.command)}` : `${advice.lead}.`);
    out.push("");
  } else if (last)
    out.push(
      `Last run: ${last.mode}, started ${last.startedAt}${last.outcome ? `, ${last.outcome}` : ", still running or killed"}.`,
      "",
    );
  if (s.runs.length > 1)
    out.push(
      `${s.runs.length} runs: ${s.runs.map((r) => `${r.startedAt} ${r.mode} → ${r.outcome ?? "no end"}`).join("; ")}.`,
      "",
    );

  out.push("## Timeline", "");
  out.push(
    ...table(
      ["Step", "Status", "Started", "Duration", "Note"],
      s.steps.map((st) => [
        `${st.title} (${st.id})`,
        st.undone ? "undone" : st.status,
        st.startedAt ?? "",
        duration(st.durationMs),
        `${st.undone ? `done, then undone: ${st.undone.join("; ")}` : (st.message ?? "")}${st.attempts > 1 ? ` (${st.attempts} attempts)` : ""}`,
      ]),
    ),
    "",
  );
  const total = s.steps.reduce((sum, st) => sum + (st.durationMs ?? 0), 0);
  out.push(`Time in steps: ${formatDuration(total)}.`, "");

  if (words.freezes || s.freezeWindowSec !== undefined) {
    out.push("## Freeze window", "");
    out.push(
      s.freezeWindowSec !== undefined
        ? `Services were stopped for **${s.freezeWindowSec} s** (the final copy).`
        : "No freeze window was recorded (no database stop ran).",
      "",
    );
  }

  if (s.restoredPackages) out.push(...restoredPackagesSection(s.restoredPackages));

  const after = checksAfterReboot(s);
  out.push(s.rebootStepId ? "## Verified after the reboot" : "## Verified", "");
  const verified = s.rebootStepId ? after : s.steps.filter((st) => st.checks.length > 0);
  if (verified.length === 0)
    out.push(s.rebootStepId ? "Nothing was verified after the reboot yet." : "No step has been verified yet.", "");
  for (const st of verified) {
    // What an undo reverted since held when it was checked, and no longer does.
    out.push(`- ${plain(st.title)}${st.undone ? ` (undone since: ${plain(st.undone.join("; "))})` : ""}:`);
    for (const c of st.checks)
      out.push(
        `  - ${c.ok ? (st.undone ? "held until the undo" : "ok") : "FAILED"}: ${plain(c.name)}${c.detail ? ` (${plain(c.detail)})` : ""}`,
      );
  }
  if (verified.length > 0) out.push("");

  out.push("## Warnings", "");
  if (s.warnings.length === 0) out.push("None.", "");
  for (const w of s.warnings)
    out.push(
      `- **${plain(w.title)}**${w.host ? ` (${w.host})` : ""}: ${plain(w.summary)}${w.remediation ? ` — fix: ${plain(w.remediation)}` : ""}${w.acknowledged ? ` Acknowledged in the plan (${plain(w.id ?? "")}): ${plain(w.acknowledged)}` : ""}`,
    );
  if (s.warnings.length > 0) out.push("");

  if (s.pendingCompensations.length > 0 || s.compensationLog.length > 0) {
    out.push("## Undo actions (compensations)", "");
    for (const c of inRunOrder(s.pendingCompensations))
      out.push(
        c.notInALaterRun === undefined
          ? `- PENDING on ${c.host}: ${plain(c.title)}: ${code(c.command)} (runs first on the next run)`
          : `- PENDING on ${c.host}: ${plain(c.title)}: not run by the next run, which only says: ${plain(c.notInALaterRun)}`,
      );
    for (const c of s.compensationLog)
      out.push(
        `- ${c.notRun ? "not run" : c.ok ? "done" : "FAILED"} ${c.at}: ${plain(c.title)}${c.outcome ? `: ${plain(c.outcome)}` : ""}${c.message ? ` (${plain(c.message)})` : ""}`,
      );
    out.push("");
  }
  return out.join("\n");
}

/** Writes `<state>/<id>.report.md` (mode 0600, like the journal) and returns its path. */
export async function writeRunReport(stateDir: string, journal: JournalData, logPath: string): Promise<string> {
  const summary = summarizeRun(journal, await readLogEvents(logPath));
  // Beside the log, which is beside the journal: all three share the journal's file name.
  const path = logPath.endsWith(".log.ndjson")
    ? logPath.replace(/\.log\.ndjson$/, ".report.md")
    : reportPathFor(stateDir, journal.migrationId);
  await writeFile(path, renderRunReportMarkdown(summary) + "\n", { mode: 0o600 });
  return path;
}
