import { cmd, sh } from "../../hosts/quote.js";
import { rsyncPattern, type ExcludeEntry } from "./excludes.js";

/** How the source reaches the target for the push: a key and known_hosts made for this migration. */
export interface RsyncSshOptions {
  user: string;
  address: string;
  port: number;
  identityFile: string;
  knownHostsFile: string;
}

export interface RsyncCommandOptions {
  /** Source directory (a trailing slash is added: copy the content). */
  from: string;
  /** Destination directory on the remote (or local, without ssh). */
  to: string;
  /** Absent: a local copy (tests, or a pull into a mounted tree). */
  ssh?: RsyncSshOptions;
  excludes: ExcludeEntry[];
  /** -K: keep the receiver's directory symlinks (/lib -> usr/lib on usrmerged targets). */
  keepDirlinks: boolean;
  /** --dry-run with --itemize-changes: counts what a pass would change and delete. */
  dryRun?: boolean;
  /**
   * --checksum: compare the content of files present on both sides instead of trusting size and mtime
   * (rsync's quick check). For the passes before one has completed: the target's files are then not the
   * source's, and a same-size file with the same mtime may differ.
   */
  compareContent?: boolean;
  /** --modify-window=-1: the quick check compares mtimes to the nanosecond (time-precision.ts). */
  exactTimes?: boolean;
  /** --ignore-times: send every file considered (delta-transferred), whatever its size and mtime say. */
  ignoreTimes?: boolean;
  /** The socket of a shared ssh connection (ssh-master.ts) the transfer runs over when it is there. */
  sshSharedConnection?: string;
  /** Compression flags from chooseCompression (compression.ts): zeros and text cost little on the wire. */
  compress?: string[];
  /**
   * Copy only the paths listed (NUL-separated, relative to `from`) in this file on the sending host: rsync
   * does not recurse (-a without -r under --files-from), a directory listed with a trailing slash brings its
   * own entries and, with --delete, loses those gone from the source. The excludes still apply.
   */
  filesFrom?: string;
  /** --dry-run printing one `%i %n` line per difference (no --stats, no progress): what a pass would change. */
  listDifferences?: boolean;
}

/** The -e value: ssh with the migration key, strict host key checking against our own known_hosts file. */
export function sshTransport(ssh: RsyncSshOptions, sharedConnection?: string): string {
  // ControlMaster=no: a session over the connection ssh-master.ts opened, or a login of its own without it.
  const shared = sharedConnection ? ["-o", `ControlPath=${sharedConnection}`, "-o", "ControlMaster=no"] : [];
  return cmd(...sshArgv(ssh), ...shared);
}

/** ssh's argv (without the destination) as every connection to the target uses it. */
export function sshArgv(ssh: RsyncSshOptions): Array<string | number> {
  return [
    "ssh",
    "-i",
    ssh.identityFile,
    "-p",
    ssh.port,
    "-o",
    `UserKnownHostsFile=${ssh.knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
  ];
}

/** Where the receiving rsync takes its lock on the target: /run is never copied, and a reboot empties it. */
export const RECEIVER_LOCK = "/run/mudanza-rsync-receiver.lock";
/** How long a receiver waits for one a killed run left behind to let go. */
const RECEIVER_WAIT_S = 60;
/** The receiver's exit when the wait ends (EX_TEMPFAIL, as the source's lock uses). */
const RECEIVER_LATE_EXIT = 75;

/**
 * --rsync-path for the target: the receiver starts only once no other receiver of ours runs there. The
 * source's lock (lock.ts) stops the rsync a killed run left on the source, but its receiver on the target
 * can go on deleting for a moment, and a new pass listing the same folders then fails with "file has
 * vanished" (found by a cold run: exit 23 on /var/lib/dpkg/info/udev.* after a SIGKILLed copy).
 * rsync appends its server arguments to this text: a shell function takes them as "$@". The subshell opens
 * the lock as fd 9, waits for it and execs the receiver, which keeps fd 9 (and the lock) until it and its
 * children exit. Only flock's fd form and -w are used: util-linux added -E/--conflict-exit-code in 2.22
 * (sys-utils/flock.c, v2.22 release notes), and an OpenVZ 6 node or a Debian squeeze/wheezy target has
 * 2.17-2.20, whose flock refuses -E (exit 64) and never starts the receiver. flock exits 1 when the wait
 * ends (every version); any other failure of flock, or no flock or writable /run, runs the receiver
 * unlocked, saying so on stderr. A receiver still held after the wait ends the pass, usually with exit 75
 * (rsync may report its lost connection, 12, first), the way out on stderr either way.
 */
export function receiverRsyncPath(lock = RECEIVER_LOCK, waitSec = RECEIVER_WAIT_S): string {
  const unlocked = `mudanza: flock is not installed on the target (or ${lock} cannot be made): this pass runs without the lock that keeps it from running beside an rsync an earlier run left`;
  const late = `mudanza: an earlier rsync still runs on the target ${waitSec} s later (it holds ${lock}): stop it (fuser -k ${lock}), then run again`;
  const failed = `mudanza: flock could not lock ${lock} on the target: this pass runs without the lock that keeps it from running beside an rsync an earlier run left`;
  return (
    sh`mudanza_rsync() { if command -v flock >/dev/null 2>&1 && touch ${lock} 2>/dev/null; then ` +
    sh`( exec 9>>${lock}; flock -w ${waitSec} 9; rc=$?; if test $rc -eq 1; then echo ${late} >&2; exit ${RECEIVER_LATE_EXIT}; fi; ` +
    sh`test $rc -eq 0 || echo ${failed}" (flock exit $rc)" >&2; exec rsync "$@" ); return $?; fi; echo ${unlocked} >&2; rsync "$@"; }; mudanza_rsync`
  );
}

/** rsync argv, without quoting: a local test can run it with execa, a step joins it with `cmd`. */
export function rsyncArgv(options: RsyncCommandOptions): string[] {
  // -a -H hard links, -A ACLs, -X xattrs (capabilities, SELinux labels), -S sparse files:
  // the recipe's flags lose ACLs, capabilities and labels (migration-facts hole 2).
  const argv = ["rsync", "-aHAXS", "--numeric-ids", "--delete"];
  argv.push(...(options.listDifferences ? ["--dry-run", "--out-format=%i %n"] : ["--stats", "--info=progress2"]));
  if (options.compress) argv.push(...options.compress);
  if (options.compareContent) argv.push("--checksum");
  if (options.exactTimes) argv.push("--modify-window=-1");
  if (options.ignoreTimes) argv.push("--ignore-times");
  if (options.keepDirlinks) argv.push("--keep-dirlinks");
  if (options.dryRun) argv.push("--dry-run", "--itemize-changes");
  // A listed path removed before rsync reached it changed during the freeze: not an error.
  if (options.filesFrom) argv.push("--from0", `--files-from=${options.filesFrom}`, "--ignore-missing-args");
  for (const exclude of options.excludes) argv.push(`--exclude=${rsyncPattern(exclude.path)}`);
  if (options.ssh)
    argv.push("-e", sshTransport(options.ssh, options.sshSharedConnection), `--rsync-path=${receiverRsyncPath()}`);
  const from = options.from.endsWith("/") ? options.from : `${options.from}/`;
  const toDir = options.to.endsWith("/") ? options.to : `${options.to}/`;
  const to = options.ssh ? `${options.ssh.user}@${bracketIpv6(options.ssh.address)}:${toDir}` : toDir;
  argv.push(from, to);
  return argv;
}

export function rsyncCommand(options: RsyncCommandOptions): string {
  return cmd(...rsyncArgv(options));
}

function bracketIpv6(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}
