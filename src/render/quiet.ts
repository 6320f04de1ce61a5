import type { Writable } from "node:stream";
import type { PipelineEvent } from "../engine/events.js";
import type { Renderer } from "./renderer.js";

/**
 * `--dry-run`: one line per checked step on stderr, so stdout carries only the report (pipe-friendly).
 * No progress, no command output: a dry run only probes.
 */
export function createQuietRenderer(out: Writable = process.stderr): Renderer {
  const titles = new Map<string, string>();
  // Said again at the end with their fixes: a command that prints no report (image info) has nothing else to point at.
  const blockers: string[] = [];
  const say = (line: string): void => {
    out.write(line + "\n");
  };
  return {
    sink(event: PipelineEvent) {
      switch (event.type) {
        case "pipeline-start":
          for (const s of event.steps) titles.set(s.id, s.title);
          say(`checking ${event.title}: ${Object.entries(event.hosts).map(([r, a]) => `${r} ${a}`).join(", ")}`);
          return;
        case "step-probed": {
          for (const f of event.findings.filter((x) => x.blocks)) blockers.push(`  ✖ ${f.title}: ${f.summary}${f.remediation ? `\n    fix: ${f.remediation}` : ""}`);
          const blocking = event.findings.filter((f) => f.blocks).length;
          const warnings = event.findings.filter((f) => !f.blocks && f.severity === "warning").length;
          const verdict = blocking > 0 ? `BLOCKED (${blocking})` : event.satisfied ? "already done" : "would run";
          say(`  ${titles.get(event.stepId) ?? event.stepId}: ${verdict}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`);
          return;
        }
        case "step-end":
          if (event.status === "blocked" && event.message) say(`  ${titles.get(event.stepId) ?? event.stepId}: blocked: ${event.message}`);
          return;
        case "pipeline-end":
          if (event.status === "blocked") say(["blocked, nothing was changed:", ...(blockers.length > 0 ? blockers : [`  ${event.message ?? ""}`])].join("\n"));
          else say(`${event.status}${event.message ? `: ${event.message}` : ""}`);
          return;
        default:
          return;
      }
    },
    async close() {},
  };
}
