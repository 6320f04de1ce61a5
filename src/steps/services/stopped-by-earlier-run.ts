import type { Compensation } from "../../engine/step.js";
import { unitsStartedBy } from "./start-command.js";

/**
 * Units on `role` that an earlier run stopped and left stopped (it was killed, or its undo failed): its pending
 * compensations start them. A real run runs those before any probe, so only a dry run sees them here; it
 * plans as the run will find the host, with them running.
 */
export function stoppedByEarlierRun(pending: readonly Compensation[], role: string): Set<string> {
  return new Set(pending.filter((c) => c.host === role).flatMap((c) => unitsStartedBy(c.command) ?? []));
}
