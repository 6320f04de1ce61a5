/** A copy pass as the pipelines send it: lockedRsync's flock wrapper, then `exec rsync ...`. */
export const RSYNC_PASS = /^rsync (?!--version$)|; exec rsync /;

/** The rsync command inside a locked pass (the command itself when it is not wrapped). */
export function innerRsync(command: string): string {
  const at = command.lastIndexOf("; exec rsync ");
  return at === -1 ? command : command.slice(at + "; exec ".length);
}
