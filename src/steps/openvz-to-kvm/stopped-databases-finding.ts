import { warning, type Finding } from "../../engine/finding.js";
import { startCommand } from "../services/start-command.js";
import { FREEZE_STEP, servicesStop, type ServicesStop } from "./services-stop.js";

/** How the earlier run left them, with the stop's time when its journal recorded one (as status says it). */
function stoppedWords(stop: ServicesStop | undefined, them: string): string {
  if (stop?.kind === "left-for-cutover")
    return `stopped ${them} for its freeze at ${stop.at} and left ${them} stopped for the cutover (cutover: true), which it did not reach`;
  const at = stop?.kind === "stopped" ? ` at ${stop.at}` : "";
  return `stopped ${them} for its freeze${at} and did not start ${them} again`;
}

/**
 * The databases an earlier run stopped and left stopped (a dry run finds them; a real run has started them
 * first): said first, with what starts them (found by a new-user trial). `facts` are the journal's, raw.
 */
export function stoppedDatabasesFinding(
  databases: string[],
  startedFirst: ReadonlySet<string>,
  facts: Readonly<Record<string, unknown>>,
): Finding {
  // A probe has no step start to fall back on: without a recorded stop the warning gives no time.
  const stop = servicesStop(facts, FREEZE_STEP, undefined);
  const one = databases.length === 1;
  const them = one ? "it" : "them";
  return warning(
    "Database stopped by an earlier run",
    `${databases.join(", ")} on the source ${one ? "is" : "are"} stopped now: an earlier run of this plan ${stoppedWords(stop, them)} (it was killed, or its undo failed). The run starts ${them} again first (its pending undo), then freezes as planned`,
    `nothing to change in the plan; to start ${them} before the run, on the source: ${startCommand([...startedFirst])}`,
    "source",
  );
}
