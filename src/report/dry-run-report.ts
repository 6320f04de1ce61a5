import type { Pipeline, ProbeResult } from "../engine/step.js";
import type { Finding } from "../engine/finding.js";

export interface DryRunData {
  kind: string;
  title: string;
  hosts: Record<string, string>;
  steps: Array<{ id: string; title: string; destructive: boolean; skipped?: string; probe?: ProbeResult }>;
  blockers: Finding[];
  warnings: Finding[];
}

export function collectDryRun(pipeline: Pipeline<unknown>, hosts: Record<string, string>, probes: Record<string, ProbeResult>, skipped: Record<string, string>): DryRunData {
  const all = Object.values(probes).flatMap((p) => p.findings);
  return {
    kind: pipeline.kind,
    title: pipeline.title,
    hosts,
    steps: pipeline.steps.map((s) => ({ id: s.id, title: s.title, destructive: s.destructive, skipped: skipped[s.id], probe: probes[s.id] })),
    blockers: all.filter((f) => f.blocks),
    warnings: all.filter((f) => !f.blocks && f.severity !== "info"),
  };
}

/** Markdown: host by host what would run, and what blocks it. */
export function renderDryRunMarkdown(data: DryRunData): string {
  const lines: string[] = [`# Dry run: ${data.title}`, ""];
  for (const [role, address] of Object.entries(data.hosts)) lines.push(`- **${role}**: ${address}`);
  lines.push("", data.blockers.length > 0 ? `**Blocked** by ${data.blockers.length} finding(s).` : "No blockers found.", "");
  for (const step of data.steps) {
    lines.push(`## ${step.title} (\`${step.id}\`)${step.destructive ? " — gate" : ""}`, "");
    if (step.skipped) {
      lines.push(`Skipped: ${step.skipped}`, "");
      continue;
    }
    if (!step.probe) {
      lines.push("Not probed.", "");
      continue;
    }
    if (step.probe.satisfied) lines.push(`Already satisfied${step.probe.reason ? `: ${step.probe.reason}` : ""}.`, "");
    for (const command of step.probe.commands) lines.push(`- on **${command.host}**: \`${command.command}\`${command.purpose ? ` — ${command.purpose}` : ""}`);
    for (const detail of step.probe.details ?? []) lines.push(`- ${detail}`);
    for (const finding of step.probe.findings) {
      lines.push(`- ${finding.blocks ? "**BLOCKER**" : finding.severity}: ${finding.title}: ${finding.summary}${finding.remediation ? ` — fix: ${finding.remediation}` : ""}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
