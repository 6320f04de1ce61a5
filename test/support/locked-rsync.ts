/** A copy pass as the pipelines send it: lockedRsync's flock wrapper, then `exec rsync ...`. */
export const RSYNC_PASS = /^rsync (?!--version$)|; exec rsync /;

/** The rsync command inside a locked pass (the command itself when it is not wrapped). */
export function innerRsync(command: string): string {
  // the first: the receiver's --rsync-path, inside the rsync command, execs an rsync of its own
  const at = command.startsWith("rsync ") ? -1 : command.indexOf("; exec rsync ");
  const inner = at === -1 ? command : command.slice(at + "; exec ".length);
  // A live pass runs inside withLiveMark's subshell: `( ...; exec rsync ARGS ); rc=$?; ...`.
  const end = inner.lastIndexOf(" ); rc=$?;");
  return end === -1 ? inner : inner.slice(0, end);
}

/** withLiveMark's wrapper: a live pass that marks its start. */
export const isMarkedLivePass = (command: string): boolean =>
  command.startsWith("mkdir -p -- /root/.mudanza-migrate && touch -d ") && command.includes(" ); rc=$?;");
