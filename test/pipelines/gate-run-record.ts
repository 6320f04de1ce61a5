import type { PipelineEvent } from "../../src/engine/events.js";
import { isFileWrite, type PlannedCommand } from "../../src/engine/step.js";
import type { ScriptedEvent, ScriptedHost } from "../../src/hosts/scripted-host.js";
import { KEY_COMMENT } from "../../src/steps/ssh-access/migration-key.js";

/**
 * Records, per step, the commands the last probe before `run` displayed (the gate's list) and what the
 * scripted hosts were asked to do while `run` ran, so a test can compare the two byte for byte.
 */
export interface StepRecord {
  displayed: PlannedCommand[];
  ran: Array<{ host: string; event: ScriptedEvent }>;
}

export function recordGateAndRun(hosts: Record<string, ScriptedHost>): {
  sink: (event: PipelineEvent) => void;
  steps: Map<string, StepRecord>;
} {
  const steps = new Map<string, StepRecord>();
  let running: { stepId: string; marks: Record<string, number> } | null = null;
  const close = (): void => {
    if (!running) return;
    const record = steps.get(running.stepId)!;
    for (const [role, host] of Object.entries(hosts))
      record.ran.push(...host.log.slice(running.marks[role]).map((event) => ({ host: role, event })));
    running = null;
  };
  const sink = (event: PipelineEvent): void => {
    if (event.type === "step-probed") steps.set(event.stepId, { displayed: event.commands, ran: [] });
    else if (event.type === "step-start" && event.phase === "run")
      running = {
        stepId: event.stepId,
        marks: Object.fromEntries(Object.entries(hosts).map(([role, host]) => [role, host.log.length])),
      };
    else if ((event.type === "step-start" && event.phase === "verify") || event.type === "step-end") close();
  };
  return { sink, steps };
}

/**
 * Read-only commands a step's run may issue beyond its plan: each reads state to wait for or check what
 * the planned commands did, and none changes a host. Anything else `run` executes must be displayed.
 */
export const READ_ONLY_COMMANDS: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /^cat \/proc\/sys\/kernel\/random\/boot_id$/, why: "boot id before and after a reboot" },
  { pattern: /^uname -r$/, why: "the running kernel" },
  { pattern: /^(rpm -qf|dpkg -S) \S+$/, why: "which package owns the kernel" },
  { pattern: /^cat \/etc\/os-release$|^cat \/etc\/(redhat|debian)[-_](release|version)$/, why: "distribution release" },
  {
    pattern: /^systemctl show (-p [A-Za-z]+ )+(-- )?\S/,
    why: "unit states and stamps (the freeze checks nothing started a database)",
  },
  { pattern: /^ip -[oj] (route show default|addr show scope global)$/, why: "network checks after the boot" },
  { pattern: /^getent ahosts \S+$/, why: "name resolution after the boot" },
  {
    pattern: /^systemctl (--failed|list-units --type=service --state=active) --plain --no-legend$/,
    why: "the source's failed units and active services just before the freeze, for the checks after the VM's reboot",
  },
  {
    pattern:
      /^(mariadb|mysql) -N -B -e 'SELECT (TABLE_SCHEMA, TABLE_NAME FROM information_schema\.TABLES |\d+, COUNT\(\*\) FROM )/,
    why: "the row count of each table just before the freeze (SELECT only)",
  },
  {
    pattern: /^runuser -u postgres -- psql -X -A -t -F '\t' -d \S+ -c 'SELECT /,
    why: "PostgreSQL's databases, tables and row counts just before the freeze (SELECT only)",
  },
  { pattern: /^vzctl status \d+$/, why: "is the container running" },
  { pattern: /^vserver \S+ status$/, why: "is the guest running" },
  // The inventory step shows the reads its plan came from (its run only journals what they found).
  { pattern: /^command -v (rsync|vzctl)$/, why: "is the tool installed" },
  { pattern: /^rsync --version$/, why: "is rsync new enough for the copy's options" },
  { pattern: /^vserver \S+ exec ps -eo comm=$/, why: "services running in the guest" },
  {
    pattern: /^vserver \S+ exec sh -c 'ss -ltn'$/,
    why: "TCP ports the guest listens on (ss lists sockets)",
  },
  { pattern: /^uname -m$/, why: "architecture" },
  { pattern: /^du -sxk \S+$|^df -Pk \S+$/, why: "space used and free" },
  { pattern: /^ssh -p \d+ -o BatchMode=yes \S+ true$/, why: "can the source reach the node" },
  { pattern: /^grep -sH '\^IP_ADDRESS=' \S+\/\*\.conf; true$|^ip -o addr show$/, why: "addresses in use on the node" },
  {
    pattern: /^vzctl exec \d+ (hostname|'ip -o addr show 2>\/dev\/null \|\| ifconfig -a'|'ps -eo comm=')$/,
    why: "checks from inside the container",
  },
];

export const isReadOnly = (command: string): boolean => READ_ONLY_COMMANDS.some((r) => r.pattern.test(command));

/** The migration key exists only once run made it: the gate shows it as a placeholder (see access.ts). */
const withKeyPlaceholder = (command: string): string =>
  command.replace(
    new RegExp(`ssh-ed25519 [A-Za-z0-9+/=]+ ${KEY_COMMENT}`, "g"),
    `ssh-ed25519 <new key> ${KEY_COMMENT}`,
  );
/** A displayed write may carry a note ("(write PATH, mode 0644)"); the host records only the path. */
const writtenPath = (command: string): string => command.replace(/^\(write (\S+?)(,.*)?\)$/, "(write $1)");

/**
 * The two lists for one host, normalized: displayed commands minus read-only ones; executed commands
 * minus read-only ones, file writes as "(write PATH)", a repeat of the command just before folded into
 * it (a live copy's passes repeat one planned command).
 */
export function compareForHost(record: StepRecord, host: string): { displayed: string[]; ran: string[] } {
  const shown = record.displayed
    .filter((c) => c.host === host && !isReadOnly(c.command))
    .map((c) => ({
      command: isFileWrite(c.command) ? writtenPath(c.command) : c.command,
      conditional: c.when !== undefined,
    }));
  const ran: string[] = [];
  for (const { host: role, event } of record.ran) {
    if (role !== host) continue;
    const command =
      event.kind === "exec"
        ? withKeyPlaceholder(event.command)
        : event.kind === "write"
          ? `(write ${event.path})`
          : "reconnect";
    if (isReadOnly(command) || ran.at(-1) === command) continue;
    ran.push(command);
  }
  return { displayed: withoutSkippedConditionals(shown, ran), ran };
}

/**
 * A displayed command with a `when` (a fallback: "only if the short pass cannot run ...") runs only in that
 * case: dropped from the comparison where the run went past it without running it.
 */
function withoutSkippedConditionals(shown: Array<{ command: string; conditional: boolean }>, ran: string[]): string[] {
  const out: string[] = [];
  let next = 0;
  for (const { command, conditional } of shown) {
    if (conditional && ran[next] !== command) continue;
    out.push(command);
    next++;
  }
  return out;
}
