/** What a journal's run started from: a plan file, or (image and host commands) a command line. */
export interface RunSource {
  plan: string | null;
  /** Null also in journals of earlier versions, which recorded the arguments as JSON instead. */
  commandLine: string | null;
}

/** Journals of commands without a plan file record `(arguments) COMMAND LINE` as their plan path (arg-journal.ts). */
const ARGUMENTS = "(arguments)";

export function runSource(planPath: string): RunSource {
  if (!planPath.startsWith(ARGUMENTS)) return { plan: planPath, commandLine: null };
  const recorded = planPath.slice(`${ARGUMENTS} `.length);
  return { plan: null, commandLine: recorded.startsWith("mudanza ") ? recorded : null };
}

/** The runs table's PLAN cell: the plan file, the command line, or "(command line)" when it was not recorded. */
export function sourceCell(source: RunSource): string {
  return source.plan ?? source.commandLine ?? "(command line)";
}
