import type { Writable } from "node:stream";
import type { PipelineEvent } from "../engine/events.js";
import type { Renderer } from "./renderer.js";

export interface QuietOptions {
  /** -v: a line for the start and for each checked step, and one at the end. */
  verbose?: boolean;
  /**
   * A terminal: after this long without an end, and as often again, a line saying the checks go on (a large
   * tree's du can take minutes, and a silent terminal looks hung). Off when undefined.
   */
  stillCheckingEveryMs?: number;
  /**
   * The command prints its own summary of the checks on stdout (host doctor), blockers and fixes included: the
   * end says so in a line instead of listing them a second time (found by a new-user trial).
   */
  reportListsBlockers?: boolean;
}

/** "source root@old:22, target root@new:22", or "on this machine" for the local-only chores (image, host). */
function whereText(hosts: Record<string, string>): string {
  const entries = Object.entries(hosts);
  if (entries.length === 1 && entries[0]![0] === "local") return "on this machine";
  return entries.map(([role, address]) => `${role} ${address}`).join(", ");
}

/** A host's multi-line message kept under its list item. */
const indented = (text: string): string => text.trimEnd().replace(/\n/g, "\n    ");

/**
 * `--dry-run`: stdout carries only the report (pipe-friendly), so this face says nothing on stderr unless
 * something blocked or failed; with -v, a line per checked step. No progress, no command output: a dry
 * run only probes.
 */
export function createQuietRenderer(out: Writable = process.stderr, options: QuietOptions = {}): Renderer {
  const titles = new Map<string, string>();
  // Said again at the end with their fixes: a command that prints no report (image info) has nothing else to point at.
  const blockers: string[] = [];
  const blockedSteps = new Set<string>();
  const say = (line: string): void => {
    out.write(line + "\n");
  };
  const verbose = options.verbose ? say : () => undefined;
  const checked = new Set<string>();
  // From the start, not from pipeline-start: connecting to a host that does not answer takes up to its
  // timeout, as silent as a hang (found by a new-user trial: 20 s of nothing per host).
  let started = false;
  const began = Date.now();
  const stillChecking =
    options.stillCheckingEveryMs === undefined
      ? undefined
      : setInterval(() => {
          const seconds = Math.round((Date.now() - began) / 1000);
          say(
            started
              ? `still checking (${checked.size} of ${titles.size} steps answered, ${seconds} s; nothing is changed)`
              : `still connecting to the hosts (${seconds} s; nothing is changed)`,
          );
        }, options.stillCheckingEveryMs);
  stillChecking?.unref();
  const stopSayingStillChecking = (): void => clearInterval(stillChecking);
  return {
    sink(event: PipelineEvent) {
      switch (event.type) {
        case "pipeline-start":
          for (const s of event.steps) titles.set(s.id, s.title);
          verbose(`checking ${event.title} (${whereText(event.hosts)})`);
          started = true;
          return;
        case "step-probed": {
          checked.add(event.stepId);
          for (const f of event.findings.filter((x) => x.blocks)) {
            blockedSteps.add(event.stepId);
            blockers.push(
              `  ✖ ${f.title}: ${indented(f.summary)}${f.remediation ? `\n    fix: ${indented(f.remediation)}` : ""}`,
            );
          }
          const blocking = event.findings.filter((f) => f.blocks).length;
          const warnings = event.findings.filter((f) => !f.blocks && f.severity === "warning").length;
          const verdict = blocking > 0 ? `BLOCKED (${blocking})` : event.satisfied ? "nothing to do" : "would run";
          verbose(
            `  ${titles.get(event.stepId) ?? event.stepId}: ${verdict}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : ""}`,
          );
          return;
        }
        case "step-end":
          // A step whose blockers are listed at the end with their fixes is not named twice.
          if (event.status === "blocked" && event.message && !blockedSteps.has(event.stepId))
            say(`  ${titles.get(event.stepId) ?? event.stepId}: blocked: ${indented(event.message)}`);
          return;
        case "pipeline-end":
          stopSayingStillChecking();
          if (event.status === "blocked" && options.reportListsBlockers && blockers.length > 0)
            say(
              // Where: there is no report file, and on a terminal the summary comes after this line (new-user trial).
              `blocked: ${blockers.length === 1 ? "1 blocker" : `${blockers.length} blockers`}, each with its fix in the report this command prints on stdout (text, or JSON with --format json)`,
            );
          else if (event.status === "blocked")
            say(
              [
                "blocked, nothing was changed:",
                ...(blockers.length > 0 ? blockers : [`  ${event.message ?? ""}`]),
              ].join("\n"),
            );
          else if (event.status === "dry-run") verbose("checked, nothing was changed");
          else say(`${event.status}${event.message ? `: ${event.message}` : ""}`);
          return;
        default:
          return;
      }
    },
    async close() {
      stopSayingStillChecking();
    },
  };
}
