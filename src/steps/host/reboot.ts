import { writeFileCommand, type PlannedCommand } from "../../engine/step.js";
import type { Host } from "../../hosts/host.js";
import { cmd } from "../../hosts/quote.js";

/** A file in /run: gone after any reboot, including a container's, whose boot_id is the hardware node's. */
export const REBOOT_MARKER = "/run/mudanza-reboot-marker";
/** Detached so the command returns before sshd goes down. */
export const REBOOT_COMMAND = "nohup sh -c 'sleep 1; systemctl reboot' >/dev/null 2>&1 &";
export const BOOT_ID_COMMAND = cmd("cat", "/proc/sys/kernel/random/boot_id");
/** Prints systemd's state: "initializing" or "starting" while boot jobs still run. */
export const SYSTEM_STATE_COMMAND = "systemctl is-system-running";

/** What rebootAndWait runs, in its order: shown at the gate of every step that reboots a host. */
export function rebootCommands(role: string, purpose: string, wait: string): PlannedCommand[] {
  return [
    { host: role, command: BOOT_ID_COMMAND, purpose: "boot id before the reboot" },
    { host: role, command: writeFileCommand(REBOOT_MARKER), purpose: "a marker in /run: gone after any reboot" },
    { host: role, command: REBOOT_COMMAND, purpose },
    { host: role, command: RECONNECT, purpose: wait },
    { host: role, command: SYSTEM_STATE_COMMAND, purpose: "until the boot has finished starting its units" },
  ];
}

/** Not a shell command: the control connection is opened again (Host.reconnect). */
export const RECONNECT = "reconnect";

/** Backoff timing; tests shorten it. */
export const rebootTiming = {
  firstDelayMs: 3000,
  maxDelayMs: 15000,
  settlePollMs: 2000,
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

const STARTING_STATES = new Set(["initializing", "starting"]);

/**
 * Waits while systemd still runs boot jobs, until the deadline: ssh answers long before a slow VM has
 * started its database, and a unit still "activating" is not a failed one. Returns the last state seen;
 * a host without systemd (or a state it does not print) is not waited for.
 */
export async function waitForBootToFinish(
  host: Host,
  deadlineMs: number,
  options: { signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<string> {
  let logged = false;
  for (;;) {
    const result = await host.exec(SYSTEM_STATE_COMMAND, { signal: options.signal, timeoutMs: 20_000 });
    const state = result.stdout.trim().split("\n")[0] ?? "";
    if (!STARTING_STATES.has(state)) return state || `unknown (exit ${result.code})`;
    if (Date.now() >= deadlineMs) {
      options.log?.(`${host.role}: the boot is still ${state}; checking it as it is`);
      return state;
    }
    if (!logged) options.log?.(`${host.role}: the boot is still ${state}; waiting for its units`);
    logged = true;
    if (options.signal?.aborted) throw new Error("interrupted while waiting for the boot to finish");
    await rebootTiming.sleep(rebootTiming.settlePollMs);
  }
}

export async function bootId(host: Host, signal?: AbortSignal): Promise<string> {
  const result = await host.exec(BOOT_ID_COMMAND, { signal, timeoutMs: 20_000 });
  const id = result.stdout.trim();
  if (result.code !== 0 || id === "")
    throw new Error(`cannot read the boot id on ${host.role}: ${result.stderr.trim() || `exit ${result.code}`}`);
  return id;
}

export interface RebootOutcome {
  bootIdBefore: string;
  bootIdAfter: string;
  /** True when only the /run marker proved the reboot (a container keeps the node's boot id). */
  provedByMarker: boolean;
  seconds: number;
  attempts: number;
}

export interface RebootOptions {
  timeoutSec: number;
  acceptHostKeys?: string[];
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Reboots a host and waits for it: marker in /run and boot id first, detached `systemctl reboot`, then
 * reconnect with growing delays until it answers with a new boot id (or the marker is gone).
 */
export async function rebootAndWait(host: Host, options: RebootOptions): Promise<RebootOutcome> {
  const started = Date.now();
  const before = await bootId(host, options.signal);
  await host.writeFile(REBOOT_MARKER, `${before}\n`);
  // The connection may drop before the exit status arrives: that is the reboot working, not a failure.
  await host.exec(REBOOT_COMMAND, { timeoutMs: 30_000, signal: options.signal }).catch(() => undefined);
  let delay = rebootTiming.firstDelayMs;
  let attempts = 0;
  let lastError = "";
  while (Date.now() - started < options.timeoutSec * 1000) {
    if (options.signal?.aborted) throw new Error("interrupted while waiting for the reboot");
    await rebootTiming.sleep(delay);
    delay = Math.min(delay * 2, rebootTiming.maxDelayMs);
    attempts++;
    try {
      await host.reconnect({ acceptHostKeys: options.acceptHostKeys, timeoutMs: 20_000 });
      const after = await bootId(host, options.signal);
      const markerGone = (await host.stat(REBOOT_MARKER)) === null;
      if (after !== before || markerGone) {
        options.log?.(`${host.role} is back after ${Math.round((Date.now() - started) / 1000)} s (boot id ${after})`);
        await waitForBootToFinish(host, started + options.timeoutSec * 1000, options);
        return {
          bootIdBefore: before,
          bootIdAfter: after,
          provedByMarker: after === before,
          seconds: Math.round((Date.now() - started) / 1000),
          attempts,
        };
      }
      options.log?.(`${host.role} still runs the old boot; waiting`);
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      options.log?.(`${host.role} not answering yet (attempt ${attempts}): ${lastError}`);
    }
  }
  throw new Error(
    `${host.role} did not come back with a new boot within ${options.timeoutSec} s${lastError ? ` (last error: ${lastError})` : ""}; check its console`,
  );
}
