import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { identify, isSameProcess, processStartTime, type ProcessIdentity } from "./process-identity.js";
import { liveGroupMembers, signalGroup, stopGroupsNow } from "./process-group.js";

/**
 * One file per running command group in `<state dir>/children/`, written when it starts and removed
 * when it ends: what a SIGKILLed run leaves there names the processes it left behind. A later run stops
 * them, but only when both the leader's pid and start time still match (a reused pid is never killed)
 * and the run that started them is gone (two runs may share a state folder).
 */
export interface ChildRecord {
  owner: ProcessIdentity;
  child: ProcessIdentity;
  command: string;
  since: string;
}

let folder: string | null = null;

/** From now on, record this process's command groups under `<stateDir>/children`. */
export function recordChildrenIn(stateDir: string | null): void {
  folder = stateDir === null ? null : join(stateDir, "children");
  if (folder) mkdirSync(folder, { recursive: true, mode: 0o700 });
}

const fileFor = (dir: string, pid: number): string => join(dir, `${process.pid}-${pid}.json`);

/** `env A=1 B='x y' tool args` -> `tool args`: the record names the tool, not a long environment before it. */
const ENV_PREFIX = /^env(?: [A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s'"]+))+ (?=\S)/;

/**
 * A recorded command for one line of a message: whole when short, else cut at a space before `max` characters
 * and followed by an ellipsis, so that a cut is never taken for the command's end (new-user trial 8: a line
 * ended inside the command's own quoting).
 */
export function commandPreview(command: string, max = 72): string {
  const oneLine = command.replace(/\s+/g, " ").trim();
  if (oneLine.length <= max) return oneLine;
  const space = oneLine.lastIndexOf(" ", max);
  return `${oneLine.slice(0, space > 0 ? space : max)} …`;
}

export function rememberChild(pid: number, command: string): void {
  if (!folder) return;
  const owner = identify(process.pid);
  const child = identify(pid);
  if (!owner || !child) return; // gone already, or no /proc: nothing a later run could check
  const record: ChildRecord = {
    owner,
    child,
    command: command.replace(ENV_PREFIX, "").slice(0, 200),
    since: new Date().toISOString(),
  };
  try {
    writeFileSync(fileFor(folder, pid), JSON.stringify(record), { mode: 0o600 });
  } catch {
    // the state folder went away: the exit hooks still stop the group
  }
}

export function forgetChild(pid: number): void {
  if (folder) rmSync(fileFor(folder, pid), { force: true });
}

/** What stopLeftoverChildren found and did, for the user. */
export interface Leftover {
  record: ChildRecord;
  stopped: boolean;
}

/**
 * Stops the command groups that runs killed without a chance to clean up left running, and removes
 * their records. Records of a run still alive are left alone; a leader whose pid now belongs to another
 * process is not touched.
 */
export function stopLeftoverChildren(stateDir: string): Leftover[] {
  const found: Leftover[] = [];
  for (const { path, record } of recordsOfKilledRuns(stateDir)) {
    rmSync(path, { force: true });
    if (!record || !groupStillOurs(record.child)) continue;
    stopGroupsNow([record.child.pid]);
    found.push({
      record,
      stopped: !signalGroup(record.child.pid, 0) || liveGroupMembers(record.child.pid).length === 0,
    });
  }
  return found;
}

/**
 * What a killed run left running, as stopLeftoverChildren would find it, changing nothing: for a dry run,
 * which says so and leaves stopping them to the run (found by a new-user trial: the dry run stopped them).
 */
export function leftoverChildren(stateDir: string): ChildRecord[] {
  return recordsOfKilledRuns(stateDir).flatMap(({ record }) =>
    record && groupStillOurs(record.child) ? [record] : [],
  );
}

/** The records in `<stateDir>/children` whose run is gone (null: a record that cannot be read). */
function recordsOfKilledRuns(stateDir: string): Array<{ path: string; record: ChildRecord | null }> {
  const dir = join(stateDir, "children");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  return names
    .map((name) => ({ path: join(dir, name), record: parseRecord(join(dir, name)) }))
    .filter(({ record }) => !(record && isSameProcess(record.owner))); // its run is alive and looks after it
}

/**
 * The leader itself, unchanged; or, the leader gone, members left in its group: a group id cannot be
 * handed out again while it has members, so they are the recorded command's children.
 */
function groupStillOurs(leader: ProcessIdentity): boolean {
  const now = processStartTime(leader.pid);
  if (now !== null) return now === leader.startTime;
  return liveGroupMembers(leader.pid).length > 0;
}

function parseRecord(path: string): ChildRecord | null {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as ChildRecord;
    const ok = (p: ProcessIdentity | undefined): boolean =>
      typeof p?.pid === "number" && typeof p.startTime === "string";
    return ok(value.owner) && ok(value.child) && typeof value.command === "string" ? value : null;
  } catch {
    return null;
  }
}
