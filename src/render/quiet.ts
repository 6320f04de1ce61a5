import type { Writable } from "node:stream";
import type { PipelineEvent } from "../engine/events.js";
import type { Renderer } from "./renderer.js";

/**
 * `--dry-run`: one line per checked step on stderr, so stdout carries only the report (pipe-friendly).
 * No progress, no command output: a dry run only probes.
 */
export function createQuietRenderer(out: Writable = process.stderr): Renderer {
  const titles = new Map<string, string>();
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
          const blockers = event.findings.filter((f) => f.blocks).length;
          const warnings = event.findings.filter((f) => !f.blocks && f.severity === "warning").length;
          const verdict = blockers > 0 ? `BLOCKED (${blockers})` : event.satisfied ? "already done" : "would run";
          say(`  ${titles.get(event.stepId) ?? event.stepId}: ${verdict}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`);
          return;
        }
        case "step-end":
          if (event.status === "blocked" && event.message) say(`  ${titles.get(event.stepId) ?? event.stepId}: blocked: ${event.message}`);
          return;
        case "pipeline-end":
          say(event.status === "blocked" ? "blocked: see the report for what to fix" : `${event.status}${event.message ? `: ${event.message}` : ""}`);
          return;
        default:
          return;
      }
    },
    async close() {},
  };
}
