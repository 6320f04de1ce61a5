import { pasteable } from "../hosts/quote.js";
import { unitsStartedBy } from "../steps/services/start-command.js";
import { RSYNC_LOCK } from "../steps/openvz-to-kvm/rsync-lock.js";
import type { RunSummary } from "./run-summary.js";

/** How the last run ended, as far as status can tell (its outcome, else the journal's lock). */
export type LastRunState = "ended" | "running" | "killed" | "unknown";

/** What still holds on a host because of the last run: said before the timeline (found by a new-user trial). */
export interface LeftContext {
  state: LastRunState;
  /** The command that runs the plan again (pointed at the state dir read), when the journal names a plan file. */
  runCommand?: string;
}

const clock = (iso: string | undefined): string | undefined =>
  iso?.replace(/^\d{4}-\d{2}-\d{2}T/, "").replace(/\.\d+Z$/, "Z");

const BY: Record<LastRunState, string> = {
  killed: "the killed run",
  ended: "an earlier run (its undo did not run, or failed)",
  unknown: "the last run (still running, or killed)",
  running: "the run in progress",
};

/**
 * Services a pending compensation starts (a freeze's undo): stopped now, as far as the journal knows. The next
 * run starts them before anything else; until then they stay down, which the admin must hear plainly.
 */
export function stoppedServicesLines(s: RunSummary, left: LeftContext): string[] {
  const lines: string[] = [];
  for (const c of s.pendingCompensations) {
    const units = unitsStartedBy(c.command);
    if (!units) continue;
    const step = s.steps.find((st) => st.id === c.registeredBy);
    const since = clock(step?.startedAt);
    const when = since ? ` (at ${since}, when "${step!.title}" began)` : "";
    const address = s.hosts[c.host];
    const what = `${units.join(", ")} on the ${c.host} ${units.length === 1 ? "was" : "were"} stopped by ${BY[left.state]}${when}`;
    if (left.state === "running") {
      lines.push(`${what}: that run starts ${units.length === 1 ? "it" : "them"} again when its freeze ends`);
      continue;
    }
    const next = left.runCommand ? `\`${left.runCommand}\` starts` : "the next run starts";
    lines.push(
      `${what} and ${units.length === 1 ? "is" : "are"} still stopped as far as the journal knows: ${next} ${units.length === 1 ? "it" : "them"} first; by hand: \`${c.command}\` on ${address ?? `the ${c.host}`}`,
    );
  }
  return lines;
}

/** "Freeze window: began HH:MM:SSZ, not ended" while a freeze's undo is pending and its step is running. */
export function openFreezeLine(s: RunSummary, state: LastRunState): string | undefined {
  for (const c of s.pendingCompensations) {
    if (!unitsStartedBy(c.command)) continue;
    const step = s.steps.find((st) => st.id === c.registeredBy && st.status === "running");
    if (!step?.startedAt) continue;
    const end =
      state === "running" ? "still open" : state === "killed" ? "not ended: the run was killed in it" : "not ended";
    return `Freeze window: began ${clock(step.startedAt)} (when "${step.title}" began), ${end}`;
  }
  return undefined;
}

/**
 * The steps whose rsync runs on the source under the copy's lock (lockedRsync), by pipeline kind: a kill of the
 * CLI ends its session, not that rsync, which goes on writing into the target until the next pass stops it.
 */
const COPY_STEPS: Record<string, { steps: string[]; lock: string }> = {
  "openvz-to-kvm": { steps: ["rsync", "db-freeze"], lock: RSYNC_LOCK },
  "vserver-to-openvz": {
    steps: ["sync-live", "stop-and-final-sync"],
    lock: "the copy's lock beside the guest's root (.GUEST.mudanza-rsync.lock)",
  },
};

/** Said when the last run was killed in a copy step: its rsync may still run on the source (status reads no host). */
export function copyLeftRunningLine(s: RunSummary, left: LeftContext, killedAtGate?: string): string | undefined {
  if (left.state !== "killed") return undefined;
  const copy = COPY_STEPS[s.kind];
  const step = s.steps.find((st) => st.status === "running" && copy?.steps.includes(st.id) && st.id !== killedAtGate);
  if (!copy || !step) return undefined;
  const lock = copy.lock.startsWith("/") ? `${copy.lock}, its pid in ${copy.lock}.pid` : copy.lock;
  const dryRun = left.runCommand ? ` (\`${left.runCommand} --dry-run\` names its pid)` : "";
  return `A copy may still be running on the source: the run was killed in "${step.title}", whose rsync (holding ${lock}) does not end with the run and may still be writing into the target; the next run stops it before it copies${dryRun}`;
}

/** `mudanza run PLAN`, for a journal whose plan is a file (an image command's is its arguments). */
export function runCommandFor(planPath: string): string | undefined {
  return planPath.startsWith("(") ? undefined : `mudanza run ${pasteable(planPath)}`;
}
