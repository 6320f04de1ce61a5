import { versionAtLeast, type RsyncBuild } from "./compression.js";

/**
 * rsync's quick check compares mtimes in whole seconds unless told otherwise (`--modify-window`: "The
 * default is 0, which matches just integer seconds"): a database file of fixed size (InnoDB's are
 * preallocated) written again within the second its last copy saw is skipped by the next pass. A negative
 * window compares nanoseconds too, when the receiver is rsync 3.1.3 or newer.
 */
export interface TimePrecision {
  /** The quick check compares nanoseconds (--modify-window=-1 is in every pass). */
  exact: boolean;
  /** One line for the gate and the report. */
  summary: string;
}

const NANOSECOND_RECEIVER = [3, 1, 3];

export function chooseTimePrecision(source: RsyncBuild | null, target: RsyncBuild | null): TimePrecision {
  const receiver = target?.version;
  if (receiver && source?.version && versionAtLeast(receiver, NANOSECOND_RECEIVER))
    return {
      exact: true,
      summary: `mtimes compared to the nanosecond (--modify-window=-1: the target's rsync is ${receiver})`,
    };
  return {
    exact: false,
    summary: receiver
      ? `mtimes compared in whole seconds: the target's rsync ${receiver} predates nanosecond comparison (3.1.3); the final pass copies what changed since the last live pass without trusting mtimes`
      : "mtimes compared in whole seconds: the target's rsync version could not be read",
  };
}
