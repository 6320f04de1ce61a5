import { cmd, shellQuote } from "../../hosts/quote.js";
import { sshArgv, type RsyncSshOptions } from "./command.js";
import { MIGRATION_DIR } from "./excludes.js";

/**
 * The frozen pass runs an rsync to the target (the listed paths, the database directories' entries among
 * them), and it would open its own ssh connection inside the freeze: on a slow target (the lab's emulated
 * VM) the key exchange and login take seconds (`ssh true` 3.6-6.5 s on the lab under load), more than the
 * copy of what changed. So one connection is opened before the stop (ControlMaster) and the rsync runs as a
 * session over it (ControlPath, ControlMaster=no): the freeze no longer pays for a login.
 * If the shared connection cannot be opened or has gone, ssh connects on its own as before (with
 * ControlMaster=no a control socket it cannot reach is not an error); only the time is lost.
 */
export const SSH_MASTER_SOCKET = `${MIGRATION_DIR}/ssh-master`;

/** How long the shared connection outlives its last session if nothing closes it (a crash). */
const PERSIST = "60s";

/**
 * Opens the shared connection in the background (-f -N, ControlPersist). Its output goes to /dev/null, so the
 * background ssh holds no pipe of the command that started it; the exit code says whether the login worked.
 */
export function openSshMasterCommand(ssh: RsyncSshOptions, socket = SSH_MASTER_SOCKET): string {
  const argv = [
    ...sshArgv(ssh),
    "-o",
    "ControlMaster=yes",
    "-o",
    `ControlPath=${socket}`,
    "-o",
    `ControlPersist=${PERSIST}`,
    "-f",
    "-N",
    destination(ssh),
  ];
  return `${cmd(...argv)} </dev/null >/dev/null 2>&1`;
}

/** Ends the shared connection; nothing to do when it is not there. */
export function closeSshMasterCommand(ssh: RsyncSshOptions, socket = SSH_MASTER_SOCKET): string {
  const exit = cmd("ssh", "-o", `ControlPath=${socket}`, "-O", "exit", destination(ssh));
  return `if test -S ${shellQuote(socket)}; then ${exit} 2>/dev/null; fi; true`;
}

/** ssh takes an IPv6 address bare (only rsync's host:path needs brackets). */
const destination = (ssh: RsyncSshOptions): string => `${ssh.user}@${ssh.address}`;
