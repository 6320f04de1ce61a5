import { createHash } from "node:crypto";
import { join } from "node:path";

export const journalPathFor = (stateDir: string, fileStem: string): string =>
  join(stateDir, `${fileStem}.journal.json`);

/** `web1.3f9a0c1d`: the plan's name and the first 8 hex digits of sha256(absolute plan path). */
export const pathKeyedStem = (migrationId: string, planPath: string): string =>
  `${migrationId}.${createHash("sha256").update(planPath).digest("hex").slice(0, 8)}`;
