import { cmd } from "../../hosts/quote.js";
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
  /** Compression flags from chooseCompression (compression.ts): zeros and text cost little on the wire. */
  compress?: string[];
}

/** The -e value: ssh with the migration key, strict host key checking against our own known_hosts file. */
export function sshTransport(ssh: RsyncSshOptions): string {
  return cmd(
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
  );
}

/** rsync argv, without quoting: a local test can run it with execa, a step joins it with `cmd`. */
export function rsyncArgv(options: RsyncCommandOptions): string[] {
  // -a -H hard links, -A ACLs, -X xattrs (capabilities, SELinux labels), -S sparse files:
  // the recipe's flags lose ACLs, capabilities and labels (migration-facts hole 2).
  const argv = ["rsync", "-aHAXS", "--numeric-ids", "--delete", "--stats", "--info=progress2"];
  if (options.compress) argv.push(...options.compress);
  if (options.compareContent) argv.push("--checksum");
  if (options.keepDirlinks) argv.push("--keep-dirlinks");
  if (options.dryRun) argv.push("--dry-run", "--itemize-changes");
  for (const exclude of options.excludes) argv.push(`--exclude=${rsyncPattern(exclude.path)}`);
  if (options.ssh) argv.push("-e", sshTransport(options.ssh));
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
