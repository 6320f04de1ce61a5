import { EXEC_TAG_VARIABLE } from "../../hosts/ssh/remote-files.js";
import { sh } from "../../hosts/quote.js";

/** Exit code of a locked pass whose lock cannot be created, or an earlier rsync still holds after it was told to stop. */
export const LOCK_HELD_EXIT = 75;
/** How long a pass waits for a stopped earlier rsync to let go of the lock. */
const RELEASE_WAIT_S = 60;

/** Printed (stderr) when a pass finds and stops an rsync a killed run left on the source. */
export const ORPHAN_STOPPED_MARKER = "mudanza: an rsync left running by an earlier run";

/**
 * A copy pass on the source runs under `flock` on `lockFile`, so no second rsync ever runs beside one
 * that a killed run left behind (a `kill -9` of the CLI or a dropped ssh connection ends the session,
 * not the rsync). The lock is held by the rsync itself (the shell `exec`s it with fd 9 open), and
 * `<lockFile>.pid` names it: its pid and the exec tag every process of its command carries. A pass that
 * finds the lock held stops that rsync and its ssh (by tag; by pid only when the process is an rsync),
 * says so on stderr, and waits for the lock. Without flock on the host the pass runs unlocked, with a
 * warning. The same text is shown at the gate and run.
 */
export function lockedRsync(lockFile: string, rsync: string): string {
  const pidFile = `${lockFile}.pid`;
  const needle = `${EXEC_TAG_VARIABLE}=`;
  return (
    sh`if ! ( : >> ${lockFile} ) 2>/dev/null; then echo "mudanza: cannot create the copy's lock file "${lockFile} >&2; exit ${LOCK_HELD_EXIT}; fi; ` +
    sh`if command -v flock >/dev/null 2>&1; then exec 9>>${lockFile}; if ! flock -n 9; then ` +
    sh`old=; oldtag=; read old oldtag 2>/dev/null < ${pidFile}; ` +
    sh`echo ${ORPHAN_STOPPED_MARKER}" (pid $old) holds "${lockFile}": stopping it" >&2; ` +
    sh`if test -n "$oldtag"; then for p in /proc/[0-9]*; do if tr '\\000' '\\n' 2>/dev/null < "$p/environ" | grep -qxF ${needle}"$oldtag"; then kill -TERM "\${p#/proc/}" 2>/dev/null; fi; done; ` +
    sh`elif test -n "$old" && test "$(cat "/proc/$old/comm" 2>/dev/null)" = rsync; then kill -TERM "$old" 2>/dev/null; fi; ` +
    sh`flock -w ${RELEASE_WAIT_S} 9 || { echo "mudanza: "${lockFile}" is still held ${RELEASE_WAIT_S} s after stopping the earlier rsync (pid $old): stop it by hand, then run again" >&2; exit ${LOCK_HELD_EXIT}; }; fi; ` +
    sh`echo "$$ \${${EXEC_TAG_VARIABLE}:-}" > ${pidFile}; ` +
    sh`else echo 'mudanza: flock is not installed here: this pass runs without the lock that keeps a second rsync from running beside one an earlier run left' >&2; fi; ` +
    `exec ${rsync}`
  );
}

/**
 * Read-only, for a dry run: the pids (one a line, none when free) of the rsyncs of the pass holding `lockFile`,
 * found as the lock shell above finds them to stop them: by the exec tag its pid file names, or by the pid when
 * no tag was given. An rsync that reused the pid of a pass long ended carries another tag: not listed.
 */
export function lockHoldersCommand(lockFile: string): string {
  const pidFile = `${lockFile}.pid`;
  const needle = `${EXEC_TAG_VARIABLE}=`;
  return (
    sh`old=; oldtag=; read old oldtag 2>/dev/null < ${pidFile}; ` +
    sh`if test -n "$oldtag"; then for p in /proc/[0-9]*; do if test "$(cat "$p/comm" 2>/dev/null)" = rsync && tr '\\000' '\\n' 2>/dev/null < "$p/environ" | grep -qxF ${needle}"$oldtag"; then echo "\${p#/proc/}"; fi; done; ` +
    sh`elif test -n "$old" && test "$(cat "/proc/$old/comm" 2>/dev/null)" = rsync; then echo "$old"; fi; true`
  );
}

export const parseLockHolders = (stdout: string): number[] =>
  stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
