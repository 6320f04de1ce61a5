import type { BenchRow } from "../types.js";

/** What one host cost a traced dry run (MUDANZA_TRACE=1 lines, src/hosts/timing-trace.ts). */
export interface HostTraceParts {
  /** From the start of connecting to the root check's answer: handshake, login, the kept shell, `id -u`. */
  readyMs: number | undefined;
  /** The batches' commands, on the host's own clock (/proc/uptime, 10 ms steps). */
  commandsMs: number;
  batches: number;
  commands: number;
  /** Commands on sessions of their own (a timeout or streamed output keeps them out of the batches). */
  sessionsMs: number;
  sessions: number;
}

export interface DryRunTrace {
  /** When the pipeline ended, in ms since the process started. */
  endedMs: number | undefined;
  hosts: Map<string, HostTraceParts>;
}

const STAMP = /^trace +(\d+) ms (.*)$/;
const HOST_LINE = /^([\w-]+): (.*)$/;
const READY = /^ready \(root checked\) (\d+) ms after connecting began$/;
const BATCH = /^batch of (\d+): \d+ ms round trip, (\d+) ms on the host$/;
const SESSION = /^session (\d+) ms/;
const BATCHED_COMMAND = /^ +(\d+) ms (.*)$/;
const SESSION_COMMAND = /^session (\d+) ms[^:]*: (.*)$/;

/** The run's own trace lines (plan loaded, pipeline ended, hosts closed, report written), not a host's: where its ends go. */
export function milestones(stderr: string): string[] {
  return stderr
    .split("\n")
    .map((line) => STAMP.exec(line))
    .filter((stamped): stamped is RegExpExecArray => stamped !== null && !HOST_LINE.test(stamped[2]!))
    .map((stamped) => `${stamped[1]!.padStart(6)} ms ${stamped[2]}`);
}

/** The slowest commands of one traced run, host by host: where a host's own time went, for the bench's log. */
export function slowestCommands(stderr: string, perHost: number): string[] {
  const byHost = new Map<string, Array<{ ms: number; line: string }>>();
  for (const line of stderr.split("\n")) {
    const hostLine = HOST_LINE.exec(STAMP.exec(line)?.[2] ?? "");
    if (!hostLine) continue;
    const [, role, rest] = hostLine as unknown as [string, string, string];
    const batched = BATCHED_COMMAND.exec(rest);
    const alone = SESSION_COMMAND.exec(rest);
    const found = batched ?? alone;
    if (!found) continue;
    const ms = Number(found[1]);
    const list = byHost.get(role) ?? [];
    list.push({ ms, line: `${role}: ${String(ms).padStart(5)} ms ${alone ? "(own session) " : ""}${found[2]}` });
    byHost.set(role, list);
  }
  return [...byHost.keys()].sort().flatMap((role) =>
    byHost
      .get(role)!
      .sort((a, b) => b.ms - a.ms)
      .slice(0, perHost)
      .map((entry) => entry.line),
  );
}

/** Reads the trace lines of one dry run; lines of other kinds are skipped. */
export function parseDryRunTrace(stderr: string): DryRunTrace {
  const hosts = new Map<string, HostTraceParts>();
  let endedMs: number | undefined;
  const partsOf = (role: string): HostTraceParts => {
    let parts = hosts.get(role);
    if (!parts) {
      parts = { readyMs: undefined, commandsMs: 0, batches: 0, commands: 0, sessionsMs: 0, sessions: 0 };
      hosts.set(role, parts);
    }
    return parts;
  };
  for (const line of stderr.split("\n")) {
    const stamped = STAMP.exec(line);
    if (!stamped) continue;
    if (stamped[2]!.startsWith("pipeline ended")) endedMs = Number(stamped[1]);
    const hostLine = HOST_LINE.exec(stamped[2]!);
    if (!hostLine) continue;
    const [, role, rest] = hostLine as unknown as [string, string, string];
    const ready = READY.exec(rest);
    if (ready) partsOf(role).readyMs = Number(ready[1]);
    const batch = BATCH.exec(rest);
    if (batch) {
      const parts = partsOf(role);
      parts.batches++;
      parts.commands += Number(batch[1]);
      parts.commandsMs += Number(batch[2]);
    }
    const session = SESSION.exec(rest);
    if (session) {
      const parts = partsOf(role);
      parts.sessions++;
      parts.sessionsMs += Number(session[1]);
    }
  }
  return { endedMs, hosts };
}

/**
 * Where one traced dry run's time went, host by host: the connection up to the root check, the batched
 * commands' own time on the host, the commands on sessions of their own. The hosts work at the same time,
 * so the parts of both add up to more than the run; each is shown against the run's own length.
 */
export function dryRunTraceRows(trace: DryRunTrace): BenchRow[] {
  const total = trace.endedMs;
  if (total === undefined || total <= 0) return [];
  const row = (what: string, ms: number): BenchRow => ({
    benchmark: "lab-dry-run",
    case: `  one traced run, ${what}`,
    unit: "ms",
    value: ms,
    baselineLabel: "that run, to the pipeline's end",
    baseline: total,
    ratio: ms / total,
    runs: 1,
  });
  const rows: BenchRow[] = [];
  for (const [role, parts] of [...trace.hosts].sort(([a], [b]) => a.localeCompare(b))) {
    if (parts.readyMs !== undefined) rows.push(row(`${role}: connect, shell, root check`, parts.readyMs));
    if (parts.batches > 0)
      rows.push(
        row(`${role}: ${parts.commands} commands in ${parts.batches} batches, own time on the host`, parts.commandsMs),
      );
    if (parts.sessions > 0)
      rows.push(row(`${role}: ${parts.sessions} command(s) on a session of their own`, parts.sessionsMs));
  }
  return rows;
}
