/**
 * Process names `ps` shows in a guest that are not services to look for after the move: the probe's
 * own commands, shells and per-session helpers, and gettys the fix-ups disable on purpose.
 */
export const TRANSIENT_PROCESSES = new Set([
  "ps",
  "sh",
  "bash",
  "dash",
  "zsh",
  "sleep",
  "sudo",
  "su",
  "login",
  "vcontext",
  "vserver",
  "getty",
  "agetty",
  "mingetty",
]);
