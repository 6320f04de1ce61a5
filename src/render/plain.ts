import type { Writable } from "node:stream";
import { dispatch, type EventHandlers } from "../engine/events.js";
import type { Renderer } from "./renderer.js";
import { ProgressThrottle } from "./throttle.js";

/** Plain lines for logs: no cursor codes, no colour. Every event kind has a line. */
export function createPlainRenderer(out: Writable = process.stdout): Renderer {
  const throttle = new ProgressThrottle(5000);
  const say = (line: string): void => {
    out.write(line + "\n");
  };
  const handlers: EventHandlers = {
    "pipeline-start": (e) => say(`${e.title} (${e.kind})${e.resumed ? ", resuming" : ""}: ${Object.entries(e.hosts).map(([r, a]) => `${r}=${a}`).join(" ")}`),
    "step-start": (e) => say(`[${e.stepId}] ${e.phase}`),
    "step-probed": (e) => {
      for (const f of e.findings) say(`[${e.stepId}] ${f.blocks ? "BLOCKER" : f.severity.toUpperCase()}: ${f.title}: ${f.summary}${f.remediation ? ` (fix: ${f.remediation})` : ""}`);
    },
    output: (e) => say(`[${e.stepId}] ${e.host}: ${e.line}`),
    progress: (e) => {
      if (throttle.admit(e.stepId, e.progress.percent === 100)) say(`[${e.stepId}] ${e.progress.percent ?? "?"}% ${e.progress.bytesDone} bytes`);
    },
    prompt: (e) => say(`[${e.stepId}] gate: ${e.title}\n${e.commands.map((c) => `  on ${c.host}: ${c.command}`).join("\n")}`),
    "prompt-answer": (e) => say(`[${e.stepId}] ${e.accepted ? "accepted" : "declined"} (${e.by})`),
    "step-end": (e) => say(`[${e.stepId}] ${e.status}${e.message ? `: ${e.message}` : ""} (${(e.durationMs / 1000).toFixed(1)} s)`),
    compensation: (e) => say(`compensation ${e.ok ? "done" : "FAILED"}: ${e.title} on ${e.host}${e.message ? `: ${e.message}` : ""}`),
    "pipeline-end": (e) =>
      say(`${e.status} (exit ${e.exitCode})${e.message ? `: ${e.message}` : ""}\njournal: ${e.journal}${e.log ? `\nlog: ${e.log}` : ""}${e.resumeCommand ? `\nresume with: ${e.resumeCommand}` : ""}`),
  };
  return { sink: (event) => dispatch(handlers, event), async close() {} };
}
