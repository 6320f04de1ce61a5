import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";

/**
 * Every long-lived process the lab starts (nspawn, qemu) goes through here, so the lab can stop each one
 * by its PID: on teardown, when a test fails (afterAll), and on process exit or signals. The PIDs are also
 * written to a state file, so the next lab run can stop leftovers of a run that was itself SIGKILLed.
 */
export interface TrackedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or null and the signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface StateEntry {
  name: string;
  pid: number;
  /** /proc/PID/cmdline at start, so a reused PID is never killed by mistake. */
  cmdline: string;
  /**
   * The command line the process shows once its wrapper (`ip netns exec NS`) has exec'd into the wrapped
   * command: the state may be written before or after that exec, and either is the same process.
   */
  wrappedCmdline?: string;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** How many leading words of argv are a wrapper that execs into the rest (4 for `ip netns exec NS`). */
  wrapperWords?: number;
}

const live = new Map<number, TrackedProcess>();
/** The wrapped command's /proc cmdline per PID, for processes started through a wrapper. */
const wrappedCmdlines = new Map<number, string>();
let stateFile: string | undefined;
let handlersInstalled = false;

export function setProcessStateFile(path: string): void {
  stateFile = path;
}

export function startTracked(
  name: string,
  argv: string[],
  logFile: string,
  { env, wrapperWords = 0 }: StartOptions = {},
): TrackedProcess {
  const [file, ...args] = argv;
  if (!file) throw new Error("startTracked needs a command");
  installExitHandlers();
  const fd = openSync(logFile, "a");
  // detached: its own process group, so a Ctrl-C meant for the CLI does not reach QEMU or the container
  // directly; the lab stops them itself, in order.
  const child = spawn(file, args, { stdio: ["ignore", fd, fd], detached: true, env: env ?? process.env });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${file})`);
  const pid = child.pid;
  if (wrapperWords > 0) wrappedCmdlines.set(pid, procCmdline(argv.slice(wrapperWords)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      live.delete(pid);
      wrappedCmdlines.delete(pid);
      writeState();
      resolve({ code, signal });
    });
    child.on("error", () => {
      live.delete(pid);
      wrappedCmdlines.delete(pid);
      resolve({ code: -1, signal: null });
    });
  });
  const tracked: TrackedProcess = { name, pid, child, exited };
  live.set(pid, tracked);
  writeState();
  return tracked;
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
export async function stopTracked(proc: TrackedProcess, graceMs = 10_000): Promise<void> {
  if (!live.has(proc.pid)) return;
  signal(proc.pid, "SIGTERM");
  const timer = setTimeout(() => signal(proc.pid, "SIGKILL"), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

export async function stopAllTracked(): Promise<void> {
  await Promise.all([...live.values()].map((p) => stopTracked(p, 5000)));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
}

/** argv as /proc/PID/cmdline shows it once the process has exec'd it: each word NUL-terminated. */
function procCmdline(argv: string[]): string {
  return argv.map((word) => `${word}\0`).join("");
}

function writeState(): void {
  if (!stateFile) return;
  const entries: StateEntry[] = [...live.values()].map((p) => ({
    name: p.name,
    pid: p.pid,
    cmdline: cmdlineOf(p.pid) ?? "",
    ...(wrappedCmdlines.has(p.pid) ? { wrappedCmdline: wrappedCmdlines.get(p.pid) } : {}),
  }));
  try {
    if (entries.length === 0) rmSync(stateFile, { force: true });
    else writeFileSync(stateFile, JSON.stringify(entries));
  } catch {
    // the state file is a best-effort safety net
  }
}

/**
 * Stops processes a previous lab run recorded and left behind (it was killed before its own cleanup).
 * Only a PID whose command line is still the recorded one (or the command its wrapper exec'd into) is
 * signalled. Returns what was stopped.
 */
export async function reapLeftovers(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  let entries: StateEntry[] = [];
  try {
    entries = JSON.parse(readFileSync(path, "utf8")) as StateEntry[];
  } catch {
    entries = [];
  }
  const stopped: string[] = [];
  for (const entry of entries) {
    const now = cmdlineOf(entry.pid);
    const same = entry.cmdline !== "" && (now === entry.cmdline || now === entry.wrappedCmdline);
    if (now === undefined || !same) continue;
    signal(entry.pid, "SIGTERM");
    for (let i = 0; i < 50 && cmdlineOf(entry.pid) !== undefined; i++) await new Promise((r) => setTimeout(r, 200));
    if (cmdlineOf(entry.pid) !== undefined) signal(entry.pid, "SIGKILL");
    stopped.push(`${entry.name} (pid ${entry.pid})`);
  }
  rmSync(path, { force: true });
  return stopped;
}

const exitCallbacks = new Set<() => void>();
/** PIDs not started by us directly but owned by the lab (a container's init): SIGKILLed on a hard exit. */
const emergencyPids = new Map<number, string>();

export function killOnHardExit(pid: number, name: string): () => void {
  installExitHandlers();
  emergencyPids.set(pid, cmdlineOf(pid) ?? "");
  void name;
  return () => emergencyPids.delete(pid);
}

/** Synchronous cleanup to run if the process exits without the lab's own teardown (netns removal etc.). */
export function onProcessExit(callback: () => void): () => void {
  installExitHandlers();
  exitCallbacks.add(callback);
  return () => exitCallbacks.delete(callback);
}

function killAllNow(): void {
  for (const [pid, cmdline] of emergencyPids) if (cmdlineOf(pid) === cmdline) signal(pid, "SIGKILL");
  emergencyPids.clear();
  for (const proc of live.values()) signal(proc.pid, "SIGKILL");
  for (const callback of exitCallbacks) {
    try {
      callback();
    } catch {
      // keep going: the other cleanups matter too
    }
  }
  exitCallbacks.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // Only act when nobody else handles the signal (the CLI installs its own SIGINT handler while a
    // migration runs, and calls the lab's teardown itself).
    process.on(sig, () => {
      if (process.listenerCount(sig) > 1) return;
      killAllNow();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}
