/** The demo's flags that a run of it again keeps. */
export interface DemoFlags {
  yes?: boolean;
  json?: boolean;
  skipPreUpdate?: boolean;
}

/** The step the demo's --skip-pre-update skips. */
const PRE_UPDATE_STEP = "pre-update";

/**
 * What the demo's end says once it stopped without --keep: its lab is torn down as it ends, with the run's
 * plan, journal and hosts, so there is nothing to resume (found by a new-user trial: the end screen named a
 * resume command and files that were deleted a moment later). The demo again, or --keep to resume by hand.
 * `npm run demo` is named as itself: a checkout's user may have no `mudanza` on their PATH.
 */
export function demoAgainAdvice(
  declinedStepId: string | undefined,
  flags: DemoFlags,
  viaNpm = process.env.npm_lifecycle_event === "demo",
): string {
  const skipDeclined = declinedStepId === PRE_UPDATE_STEP;
  const demo = (...extra: string[]): string => {
    const args = [
      ...(flags.yes ? ["--yes"] : []),
      ...(flags.json ? ["--json"] : []),
      ...(flags.skipPreUpdate || skipDeclined ? ["--skip-pre-update"] : []),
      ...extra,
    ];
    if (!viaNpm) return ["mudanza", "demo", ...args].join(" ");
    return ["npm", "run", "demo", ...(args.length > 0 ? ["--", ...args] : [])].join(" ");
  };
  const again = skipDeclined ? `run the demo again without that step: ${demo()}` : `run the demo again: ${demo()}`;
  return (
    `The lab is torn down now, with this run's plan, journal and hosts: nothing is left to resume. ` +
    `To go on, ${again}; or keep the lab up when the run stops, to resume it by hand: ${demo("--keep")}`
  );
}
