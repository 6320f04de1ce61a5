import { randomBytes } from "node:crypto";
import type { FileStat } from "../host.js";
import { raw, sh, shellQuote } from "../quote.js";

/*
 * File access (and the exec tagging below) as shell commands rather than SFTP, so it runs through sudo exactly like every other command
 * (SFTP would run as the login user). Only POSIX sh, cat, chmod, mv, stat -c and readlink are needed.
 */

/** Exit code and stderr marker that mean "absent", distinct from cat's own failures. */
export const ABSENT_EXIT = 66;
export const ABSENT_MARKER = "mudanza: no such file";

export function readFileCommand(path: string): string {
  return sh`if test -e ${path}; then exec cat -- ${path}; else echo ${ABSENT_MARKER} >&2; exit ${ABSENT_EXIT}; fi`;
}

export function isAbsentResult(code: number, stderr: string): boolean {
  return code === ABSENT_EXIT && stderr.includes(ABSENT_MARKER);
}

/**
 * Writes stdin to a temp file next to `path`, sets the mode, then renames it over `path`, so a reader never
 * sees half a file. Without an explicit mode an existing file keeps its mode (a rewritten /etc/shadow must
 * not become world-readable); a new file gets 0644.
 */
export function writeFileCommand(path: string, mode: number | undefined): string {
  const temp = `${path}.mudanza-tmp-${randomBytes(6).toString("hex")}`;
  const modeWord = mode === undefined ? "" : (mode & 0o7777).toString(8);
  return (
    sh`t=${temp}; trap 'rm -f -- "$t"' EXIT; umask 077; cat > "$t" || exit 1; ` +
    sh`m=${modeWord}; if test -z "$m"; then m=$(stat -c %a -- ${path} 2>/dev/null) || m=644; fi; ` +
    sh`chmod "$m" "$t" && mv -f -- "$t" ${path}`
  );
}

/** `stat -c '%f %s %u %g'` (raw mode in hex: locale-independent, unlike %F) plus readlink for symlinks. */
export function statCommand(path: string): string {
  return sh`if test -e ${path} || test -L ${path}; then stat -c '%f %s %u %g' -- ${path} || exit 1; if test -L ${path}; then readlink -- ${path}; fi; else echo absent; fi`;
}

const S_IFMT = 0o170000;

export function parseStatOutput(stdout: string): FileStat | null {
  if (stdout === "absent\n") return null;
  const newline = stdout.indexOf("\n");
  const first = newline === -1 ? stdout : stdout.slice(0, newline);
  const match = /^([0-9a-f]+) (\d+) (\d+) (\d+)$/.exec(first);
  if (!match) throw new Error(`unexpected stat output: ${JSON.stringify(stdout.slice(0, 200))}`);
  const raw = parseInt(match[1]!, 16);
  const format = raw & S_IFMT;
  const type: FileStat["type"] =
    format === 0o100000 ? "file" : format === 0o040000 ? "dir" : format === 0o120000 ? "symlink" : "other";
  const stat: FileStat = {
    type,
    mode: raw & 0o7777,
    size: Number(match[2]),
    uid: Number(match[3]),
    gid: Number(match[4]),
  };
  // readlink ends its output with one newline; a target may itself contain newlines.
  if (type === "symlink") stat.linkTarget = stdout.slice(newline + 1).replace(/\n$/, "");
  return stat;
}

/** Environment variable that tags every process of one exec, so a timeout can kill the whole tree. */
export const EXEC_TAG_VARIABLE = "MUDANZA_EXEC_ID";

/**
 * The command line sent to the host: the command runs under /bin/sh (whatever the login shell), as root
 * directly or through `sudo -n` (never prompts: a password request fails instead of hanging), with the tag
 * in the environment it starts with. It must be there from the start: /proc/PID/environ shows a process's
 * initial environment, so a shell that exports the tag itself could not be found and killed.
 */
export function remoteCommandLine(command: string, tag: string, sudo: boolean): string {
  return `exec ${sudo ? "sudo -n " : ""}env ${EXEC_TAG_VARIABLE}=${shellQuote(tag)} sh -c ${shellQuote(`test -e ${cancelMarker(tag)} && exit 143; ${command}`)}`;
}

/**
 * A kept shell's command line: `sh -s` started the way remoteCommandLine starts a command, without the `sh -c`
 * in front of it (one program start less per shell: 40-80 ms on the lab's TCG VM, before its first command).
 * The cancel marker is checked by the first line the shell reads instead (keptShellPrologue).
 */
export function keptShellCommandLine(tag: string, sudo: boolean): string {
  return `exec ${sudo ? "sudo -n " : ""}env ${EXEC_TAG_VARIABLE}=${shellQuote(tag)} sh -s`;
}

/** The first line a kept shell reads: a shell stopped before it started ends there, as remoteCommandLine's would. */
export const keptShellPrologue = (tag: string): string => `test -e ${cancelMarker(tag)} && exit 143\n`;

/**
 * Left by a stop: a command whose session starts only after its stop (sshd is slow on a loaded host, and a
 * timeout can fire before the command exists) sees it and never runs, instead of running on as an orphan.
 * A zero-byte file in /tmp (the session's TMPDIR when the host sets one), removed by the stop itself when
 * it found the command running; one whose command had not started stays until /tmp is cleared.
 */
export const cancelMarkerName = (tag: string): string => `.mudanza-cancelled-${tag.replace(/[^0-9a-zA-Z]/g, "")}`;
export const cancelMarker = (tag: string): string => `"\${TMPDIR:-/tmp}"/${cancelMarkerName(tag)}`;

/**
 * Signals every process whose environment carries the tag (children inherit it; /proc is Linux-only),
 * after leaving the cancel marker for a command that has not started yet.
 * They are stopped first and continued after the signal, so a shell cannot see its child die and run the
 * next command of a list before its own signal arrives.
 */
export function killTaggedCommand(tag: string, signal: "TERM" | "KILL"): string {
  const needle = `${EXEC_TAG_VARIABLE}=${tag}`;
  return (
    sh`: > ${raw(cancelMarker(tag))}; ` +
    sh`pids=; for p in /proc/[0-9]*; do if tr '\\000' '\\n' < "$p/environ" 2>/dev/null | grep -qxF ${needle}; then pids="$pids \${p#/proc/}"; fi; done; ` +
    // Found running, the command is past its marker check (or dies of the signal before it): the marker has
    // served and goes. Not found, it may not have started yet, so the marker stays (until /tmp is cleared).
    sh`if test -n "$pids"; then kill -STOP $pids; kill -${signal} $pids; kill -CONT $pids; rm -f ${raw(cancelMarker(tag))}; fi 2>/dev/null; true`
  );
}
