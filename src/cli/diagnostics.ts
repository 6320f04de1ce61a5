/**
 * -v/--verbose and --debug, global flags: set once per command line by program.ts (before the command's
 * action), read by the parts that say more (the dry-run face, the host trace, the top-level catch).
 */
export interface Diagnostics {
  /** Say what happens as it happens (a dry run's steps), beyond the result. */
  verbose: boolean;
  /** Also: every command run on a host as it runs (secrets redacted) and stack traces. Implies verbose. */
  debug: boolean;
}

let current: Diagnostics = { verbose: false, debug: false };

export function setDiagnostics(flags: { verbose?: boolean; debug?: boolean }): void {
  current = { verbose: Boolean(flags.verbose || flags.debug), debug: Boolean(flags.debug) };
}

export function diagnostics(): Diagnostics {
  return current;
}
