import { pasteable } from "../hosts/quote.js";
import { unitsStartedBy } from "../steps/services/start-command.js";
import { RSYNC_LOCK } from "../steps/openvz-to-kvm/rsync-lock.js";
import type { RunSummary } from "./run-summary.js";
import { cutoverStop, servicesStop, type ServicesStop } from "../steps/openvz-to-kvm/services-stop.js";

/** How the last run ended, as far as status can tell (its outcome, else the journal's lock). */
export type LastRunState = "ended" | "running" | "killed" | "unknown";

/** What still holds on a host because of the last run: said before the timeline (found by a new-user trial). */
export interface LeftContext {
  state: LastRunState;
  /** The command that runs the plan again (pointed at the state dir read), when the journal names a plan file. */
  runCommand?: string;
  /** The journal's facts: when a freeze stopped what its undo starts. */
  facts?: Readonly<Record<string, unknown>>;
}

const clock = (iso: string | undefined): string | undefined =>
  iso?.replace(/^\d{4}-\d{2}-\d{2}T/, "").replace(/\.\d+Z$/, "Z");

const BY: Record<LastRunState, string> = {
  killed: "the killed run",
  ended: "an earlier run (its undo did not run, or failed)",
  unknown: "the last run (still running, or killed)",
  running: "the run in progress",
};

interface StoppedBy {
  units: string[];
  host: string;
  command: string;
  step?: RunSummary["steps"][number];
  stop?: ServicesStop;
}

/** The pending undos that start services (a freeze's): what they start, and when the journal says they stopped. */
function stoppedServices(s: RunSummary, left: LeftContext): StoppedBy[] {
  return s.pendingCompensations.flatMap((c) => {
    const units = unitsStartedBy(c.command);
    if (!units) return [];
    const step = s.steps.find((st) => st.id === c.registeredBy);
    return [
      {
        units,
        host: c.host,
        command: c.command,
        step,
        stop: servicesStop(left.facts ?? {}, c.registeredBy, step?.startedAt),
      },
    ];
  });
}

/** "STOPPED since 10:49:32Z" and the like: the stop's time when it was recorded, else the earliest it can be. */
function sinceWords(stop: ServicesStop | undefined, by: string, title: string | undefined, them: string): string {
  const inStep = title ? ` in "${title}"` : "";
  switch (stop?.kind) {
    case "stopped":
      return `STOPPED since ${clock(stop.at)} (stopped by ${by}${inStep})`;
    case "stopped-after":
      return `STOPPED since ${clock(stop.after)} at the earliest (stopped by ${by}${inStep}, which began then; the journal has no time of the stop itself)`;
    case "maybe-stopped-again":
      return `perhaps STOPPED again since ${clock(stop.startedAt)} at the earliest (${by} started them again then, after its freeze, and was redoing the freeze${inStep})`;
    case "left-for-cutover":
      return `STOPPED since ${clock(stop.at)}, on purpose: the plan cuts over (cutover: true), so ${by} left ${them} stopped after its final pass${inStep}`;
    default:
      return `STOPPED (stopped by ${by}${inStep})`;
  }
}

/**
 * Services a pending compensation starts (a freeze's undo): stopped now, as far as the journal knows, and since
 * when. The next run starts them before anything else; until then they stay down, which the admin must hear
 * plainly (found by a new-user trial).
 */
export function stoppedServicesLines(s: RunSummary, left: LeftContext): string[] {
  return stoppedServices(s, left).map(({ units, host, command, step, stop }) => {
    const one = units.length === 1;
    const them = one ? "it" : "them";
    const named = `${units.join(", ")} on the ${host}`;
    if (stop?.kind === "started-again") {
      const undo =
        left.state === "running"
          ? ""
          : `; the pending undo starts ${them} again, which changes nothing for running units`;
      return `${named} ${one ? "was" : "were"} stopped at ${clock(stop.at)} and started again at ${clock(stop.startedAt)} by ${BY[left.state]}, as far as the journal knows${undo}`;
    }
    const what = `${named} ${one ? "is" : "are"} ${sinceWords(stop, BY[left.state], step?.title, them)}`;
    const forCutover = stop?.kind === "left-for-cutover";
    if (left.state === "running")
      return forCutover
        ? `${what}: its cutover step leaves ${them} stopped for good, and a failure before it starts ${them} again`
        : `${what}: that run starts ${them} again when its freeze ends`;
    const next = left.runCommand ? `\`${left.runCommand}\` starts` : "the next run starts";
    // Started again, they ran since the final pass: db-freeze's check then redoes the freeze.
    const then = forCutover ? ", then freezes again" : "";
    const address = s.hosts[host];
    return `${what}${forCutover ? ", and it did not reach the cutover" : ""}, as far as the journal knows: ${next} ${them} first${then}; by hand: \`${command}\` on ${address ?? `the ${host}`}`;
  });
}

/**
 * What a finished cutover left stopped on the source: on purpose, and said so, as a stop by a killed run is
 * (review: an admin reading status after a cutover should not wonder whether the source's databases are down by accident).
 */
export function cutoverStopLine(left: LeftContext): string | undefined {
  const stop = cutoverStop(left.facts ?? {});
  if (!stop) return undefined;
  const one = stop.units.length === 1;
  const them = one ? "it" : "them";
  const since = stop.stoppedAt ? ` since ${clock(stop.stoppedAt)}` : "";
  return `${stop.units.join(", ")} on the source ${one ? "is" : "are"} stopped${since}, on purpose: the cutover at ${clock(stop.cutoverAt)} left ${them} stopped (the VM is production; this migration does not start ${them} again), as far as the journal knows`;
}

/** "Freeze window: began HH:MM:SSZ, not ended" while a freeze's undo is pending and its step is running. */
export function openFreezeLine(s: RunSummary, left: LeftContext): string | undefined {
  const open = stoppedServices(s, left).find((x) => x.step?.status === "running" && x.stop);
  if (!open?.stop || !open.step) return undefined;
  const { stop, step } = open;
  const end =
    left.state === "running"
      ? "still open"
      : left.state === "killed"
        ? "not ended: the run was killed in it"
        : "not ended";
  switch (stop.kind) {
    case "stopped":
    case "left-for-cutover":
      return `Freeze window: began ${clock(stop.at)} (when the databases were stopped), ${end}`;
    case "stopped-after":
      return `Freeze window: began ${clock(stop.after)} at the earliest (when "${step.title}" began; the stop's own time was not recorded), ${end}`;
    case "maybe-stopped-again":
      return `Freeze window: the freeze was being redone after ${clock(stop.startedAt)}, ${end}`;
    case "started-again":
      return `Freeze window: ${clock(stop.at)} to ${clock(stop.startedAt)} (${Math.round((Date.parse(stop.startedAt) - Date.parse(stop.at)) / 100) / 10} s); "${step.title}" did not finish`;
  }
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
