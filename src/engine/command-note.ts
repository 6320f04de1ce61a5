import type { PlannedCommand } from "./events.js";

/** The note shown above a planned command: its purpose, and for a fallback the case it runs in. */
export function commandNote(command: Pick<PlannedCommand, "purpose" | "when">): string | undefined {
  if (command.when === undefined) return command.purpose;
  return `only if ${command.when}${command.purpose ? `: ${command.purpose}` : ""}`;
}
