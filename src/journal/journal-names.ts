import { join } from "node:path";
import { sha256Hex } from "./sha256.js";

export const journalPathFor = (stateDir: string, fileStem: string): string =>
  join(stateDir, `${fileStem}.journal.json`);

/** `web1.3f9a0c1d`: the plan's name and the first 8 hex digits of sha256(absolute plan path). */
export const pathKeyedStem = (migrationId: string, planPath: string): string =>
  `${migrationId}.${sha256Hex(planPath).slice(0, 8)}`;
