import type { Host } from "../hosts/host.js";

/** Seconds since the host (or the container) booted, first field. */
export const UPTIME_COMMAND = "cat /proc/uptime";

/**
 * Reconnect attempts to a host whose connection dropped with the step, the wait between them, and each
 * command's and connection's limit. Small: the failed step's compensations (the source's databases to start
 * again) wait for this check, so a host that drops packets costs them at most about 20 s. Tests change it.
 */
export const restartCheckTiming = { attempts: 1, delayMs: 5000, timeoutMs: 10_000 };

/**
 * After a step failed: which hosts booted while it ran (someone rebooted the target, or it crashed), or
 * stopped answering. A host that booted has an uptime shorter than the step; its connection died with the
 * boot, so it is reconnected (a few attempts) to be asked. One line per such host, "target rebooted during
 * rsync (up 12 s)", for the failure message: the step's own error (rsync exit 255) does not say why.
 */
export async function restartNotes(
  hosts: Record<string, Host>,
  stepId: string,
  stepStartedMs: number,
): Promise<string[]> {
  const notes = await Promise.all(
    Object.entries(hosts).map(async ([role, host]) => {
      const elapsedS = (Date.now() - stepStartedMs) / 1000;
      let up = await uptimeOf(host);
      for (let attempt = 0; up === "unreachable" && attempt < restartCheckTiming.attempts; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, restartCheckTiming.delayMs));
        up = await host
          .reconnect({ timeoutMs: restartCheckTiming.timeoutMs })
          .then(() => uptimeOf(host))
          .catch(() => "unreachable" as const);
      }
      if (up === "unreachable") return `${role} stopped answering during ${stepId} (rebooting, or down)`;
      if (up !== null && up < elapsedS) return `${role} rebooted during ${stepId} (up ${Math.round(up)} s)`;
      return null;
    }),
  );
  return notes.filter((n): n is string => n !== null);
}

/** Uptime in seconds; null when the host cannot say (no /proc/uptime); "unreachable" when the command could not run. */
async function uptimeOf(host: Host): Promise<number | null | "unreachable"> {
  try {
    const result = await host.exec(UPTIME_COMMAND, { timeoutMs: restartCheckTiming.timeoutMs });
    if (result.timedOut) return "unreachable";
    const seconds = Number(result.stdout.trim().split(/\s+/)[0]);
    return result.code === 0 && Number.isFinite(seconds) && result.stdout.trim() !== "" ? seconds : null;
  } catch {
    return "unreachable";
  }
}
