import type { EventOf } from "../engine/events.js";

type EndFields = Pick<
  EventOf<"pipeline-end">,
  "resumeCommand" | "resumeRepeatsFailure" | "restartCommand" | "insteadOfResuming"
>;

/** What the end of a stopped run says about running it again: the same words on every face. */
export interface RunAgainAdvice {
  /** "Resume with", or why to start over instead; `command`, when there is one, follows it after a colon. */
  lead: string;
  command?: string;
  /** The command starts the run over (--restart) instead of resuming it. */
  startsOver: boolean;
}

/**
 * Resume, start over, or neither: a failure that resuming would only repeat (the disk sparsify read was
 * written since) must not end with a resume command that fails the same way (found by a new-user trial).
 */
export function runAgainAdvice(end: EndFields): RunAgainAdvice | undefined {
  // The run's files and hosts are gone once it ends (the demo's lab): it cannot be resumed, whatever stopped it.
  if (end.insteadOfResuming) return { lead: end.insteadOfResuming, startsOver: true };
  if (end.resumeCommand) return { lead: "Resume with", command: end.resumeCommand, startsOver: false };
  if (!end.resumeRepeatsFailure) return undefined;
  if (end.restartCommand)
    return {
      lead: "Resuming would only repeat this failure; start over with",
      command: end.restartCommand,
      startsOver: true,
    };
  return { lead: "Resuming would only repeat this failure: do not run the same command again", startsOver: true };
}

/** The advice as one line, lower case as the other end lines of a plain face ("resume with: …"). */
export function runAgainLine(advice: RunAgainAdvice | undefined): string | undefined {
  if (!advice) return undefined;
  const lead = advice.lead.charAt(0).toLowerCase() + advice.lead.slice(1);
  return advice.command ? `${lead}: ${advice.command}` : lead;
}
