import type { ExecResult } from "../../hosts/host.js";
import { exitedWith } from "../../hosts/failure-text.js";

/** An error a probe may turn into a blocker with a fix (the runner reads `remediation`). */
export class ErrorWithFix extends Error {
  constructor(
    message: string,
    readonly remediation: string,
  ) {
    super(message);
  }
}

/** What systemctl prints where PID 1 is not systemd (sysvinit, upstart, a container started without it). */
const NO_SYSTEMD =
  /not been booted with systemd|Failed to connect to bus|systemctl: command not found|systemctl: not found/;

/**
 * A systemctl call that failed. A host without systemd is named as such, with what to do: every service
 * check and freeze goes through systemctl (found by a new-user trial: a sysvinit source gave raw errors).
 */
export function systemctlError(what: string, role: string, result: Pick<ExecResult, "code" | "stderr">): Error {
  const message = `${what} on ${role} ${exitedWith(result)}`;
  if (!NO_SYSTEMD.test(result.stderr)) return new Error(message);
  return new ErrorWithFix(
    `the ${role} does not run systemd (${message})`,
    "mudanza checks and stops services through systemd: migrate systemd-era systems (EL7+, Debian 10+, Ubuntu 20.04+); upgrade a sysvinit or upstart guest (CentOS 6, Debian 7, Ubuntu 14.04) first",
  );
}
