import { sh } from "../../hosts/quote.js";
import { UNDO_KEPT_PREFIX } from "../../engine/undo-outcome.js";

/**
 * Sets `$inuse` to why `path` must be kept because something runs on it, or to nothing. A VM that has not
 * written to its disk yet (booting, paused) leaves its mtime as it was: only its open file (any process, "PID
 * (COMM)"; other users' only as root) or QEMU's lock on it (qemu-img info fails unless it may share: a VM in
 * another PID namespace) shows it (found by a new-user trial: the undo deleted a clone a VM had open).
 */
export const inUseSnippet = (path: string): string =>
  sh`inuse=''; for fd in /proc/[0-9]*/fd/*; do if test "$fd" -ef ${path}; then ` +
  `p=\${fd#/proc/}; p=\${p%%/*}; inuse="process $p ($(cat "/proc/$p/comm" 2>/dev/null)) has it open"; break; fi; done; ` +
  sh`if test -z "$inuse" && ! e=$(qemu-img info --output=json -- ${path} 2>&1 >/dev/null); then ` +
  `inuse="qemu-img cannot open it unshared: $(printf '%s\\n' "$e" | head -n 1)"; fi`;

/** After inUseSnippet: says `kept PATH: WHY` as an undo outcome when `$inuse` is set; true when it was. */
export const keptInUseOutcome = (path: string): string =>
  sh`test -n "$inuse" && printf ${`${UNDO_KEPT_PREFIX}kept %s: %s (a VM may run on it)\n`} ${path} "$inuse"`;
